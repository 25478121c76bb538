"""Every URL of the platform refuses people without the right role.

The URL list is read from the URL configuration, so a new page or endpoint that forgets
its permission check fails here.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from ccm.context_processors import NAVIGATION
from ccm.roles import ROLE_PERMISSIONS
from tests.ccm.second_client import (
    AGGREGATE_PAGES,
    CREATE_ONLY,
    OBJECT_ENDPOINT_PARAMS,
    OBJECT_ENDPOINTS,
    OBJECT_PAGE_PARAMS,
    OBJECT_PAGES,
    SESSION_ONLY_PAGES,
    assert_answer,
    assert_page,
    first_clients_objects,
    page_role_reaches,
    page_role_spans_clients,
    role_reaches,
    role_spans_clients,
)
from tests.factories.ccm import UserFactory

pytestmark = pytest.mark.django_db

# Reachable without a role, on purpose. Provider webhooks authenticate with their own
# shared secret (tests/channels/services/test_events.py proves they refuse a wrong one).
# Survey answers carry a signed token (tests/insight/test_surveys.py refuses forged ones).
PUBLIC = {"login", "logout", "set_language", "sms-dlr", "survey:answer", "healthz", "readyz"}
# The second login step answers only a session that has just passed the password step
# (tests/ccm/test_two_factor.py).
PUBLIC |= {"login_verify", "login_enrol"}
# Links inside emails: each answers only a signed token (tests/channels/senders/test_email.py).
PUBLIC |= {"email_links:unsubscribe", "email_links:click", "email_links:open"}
PUBLIC_PREFIXES = ("admin/", "anymail/")
# Needs only a login (no data shown).
LOGIN_ONLY = {"home", "schema", "api-docs", "api-redoc", "mailbox:list", "mailbox:detail"}


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield (f"{namespace}{p.name}" if p.name else None), prefix + str(p.pattern)


def _concrete(route: str) -> str:
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:slug|str|uuid|path):\w+>", "x", route)
    route = re.sub(r"<\w+>", "x", route)
    return "/" + route.lstrip("^").rstrip("$")


def _platform_urls():
    for name, route in _walk(get_resolver().url_patterns):
        if route.startswith(PUBLIC_PREFIXES) or name in PUBLIC or name in LOGIN_ONLY:
            continue
        if "(?P<format>" in route or "\\." in route:
            continue
        yield name, _concrete(route)


PLATFORM_URLS = sorted(set(_platform_urls()), key=lambda item: item[1])


def test_the_url_walk_finds_pages_and_api_endpoints():
    paths = [path for _, path in PLATFORM_URLS]
    assert any(p.startswith("/api/batches") for p in paths)
    assert any(p.startswith("/archive/") for p in paths)


@pytest.mark.parametrize(("name", "path"), PLATFORM_URLS)
def test_anonymous_visitors_are_sent_to_login_or_refused(client, name, path):
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        if path.startswith("/api/"):
            assert response.status_code in (401, 403), (method, path, response.status_code)
        else:
            assert response.status_code in (302, 403, 405), (method, path, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/login/"), (method, path)


@pytest.mark.parametrize(("name", "path"), PLATFORM_URLS)
def test_a_user_without_a_role_is_refused(client, name, path):
    client.force_login(UserFactory())
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code in (403, 405), (method, path, response.status_code)


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_each_role_sees_exactly_its_sections(client, role):
    client.force_login(UserFactory(roles=[role]))
    for _label, url_name, permission in NAVIGATION:
        from django.urls import reverse

        response = client.get(reverse(url_name))
        expected = 200 if permission in ROLE_PERMISSIONS[role] else 403
        assert response.status_code == expected, (role, url_name, response.status_code)


def test_only_the_most_specific_section_is_highlighted(client):
    client.force_login(UserFactory(roles=["auditor"]))
    response = client.get("/archive/access-log/")
    active = [item["url"] for item in response.context["nav_items"] if item["active"]]
    assert active == ["/archive/access-log/"]


def test_every_batch_message_and_webhook_endpoint_has_a_second_client_case():
    from channels.api_urls import urlpatterns

    names = {p.name for p in urlpatterns}
    covered = {e.name for e in OBJECT_ENDPOINTS} | CREATE_ONLY
    assert names <= covered, f"no second-client case for {sorted(names - covered)}"


@pytest.mark.parametrize("endpoint", OBJECT_ENDPOINT_PARAMS)
@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_a_second_person_of_the_same_role_reaches_only_what_the_role_spans(client, role, endpoint):
    """As the token matrix (tests/ccm/test_role_endpoint_matrix.py), for people signed in
    to the browsable API: a batch uploaded in the UI belongs to its uploader."""
    first, second = UserFactory(roles=[role]), UserFactory(roles=[role])
    objects = first_clients_objects(first)
    path = endpoint.path.format(**objects)
    for who in (second, first):
        client.force_login(who)
        response = client.generic(endpoint.method, path, "{}", content_type="application/json")
        if not role_reaches(role, endpoint):
            assert response.status_code == 403, (role, path, response.status_code)
            continue
        sees = who == first or role_spans_clients(role, endpoint)
        assert_answer(endpoint, objects, response, sees=sees, who=(role, who.username, path))


def test_every_batch_page_has_a_second_client_case():
    """Every page of channels/urls.py, and every other page whose route names a batch."""
    pages = {name for name, route in _walk(get_resolver().url_patterns) if name}
    batch_pages = {n for n in pages if n.startswith("channels:")}
    batch_pages |= {
        name
        for name, route in _walk(get_resolver().url_patterns)
        if name and "batch" in route and not route.startswith(("api/", "admin/"))
    }
    covered = {p.name for p in OBJECT_PAGES} | SESSION_ONLY_PAGES | AGGREGATE_PAGES
    assert batch_pages <= covered, f"no second-client case for {sorted(batch_pages - covered)}"


@pytest.mark.parametrize("page", OBJECT_PAGE_PARAMS)
@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_a_second_person_of_the_same_role_reaches_only_the_pages_the_role_spans(client, role, page):
    first, second = UserFactory(roles=[role]), UserFactory(roles=[role])
    objects = first_clients_objects(first)
    path = page.path.format(**objects)
    for who in (second, first):
        client.force_login(who)
        response = client.generic(page.method, path)
        if not page_role_reaches(role, page):
            assert response.status_code == 403, (role, path, response.status_code)
            continue
        sees = who == first or page_role_spans_clients(role, page)
        assert_page(page, objects, response, sees=sees, who=(role, who.username, path))
