"""Role by endpoint matrix, generated from the URL configuration.

Every page and API endpoint found by walking ``get_resolver()`` must declare who may use
it: API views with ``required_permissions`` (enforced by ``RolePermission``), pages with
``permission_required`` / ``requires`` / ``requires_any``. Each role must then get exactly
what ``ccm.roles.ROLE_PERMISSIONS`` gives it: a new endpoint without a check fails here,
and so does one that lets a role in that the table does not.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from ccm.permissions import MANAGE_TEMPLATES, READ_STATUS, SCOPES, RolePermission
from ccm.roles import ROLE_PERMISSIONS
from ccm.services import api_token_create
from tests.ccm.second_client import (
    OBJECT_ENDPOINT_PARAMS,
    assert_answer,
    first_clients_objects,
    role_reaches,
    role_spans_clients,
)
from tests.ccm.test_permission_matrix import (
    LOGIN_ONLY,
    PUBLIC,
    PUBLIC_PREFIXES,
    _concrete,
)
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import PAYMENT_SCHEMA, published_version

pytestmark = pytest.mark.django_db

# Open on purpose besides test_permission_matrix.PUBLIC: probes (health answers no data;
# metrics wants its own bearer token or an allowed address, see tests/ccm/test_metrics.py)
# and the second login step (works only for a session that passed the password step).
OPEN = {"healthz", "readyz", "metrics", "login_verify", "login_enrol"}
ROLES = sorted(ROLE_PERMISSIONS)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _callbacks() -> Iterator[tuple[str | None, str, Callable[..., Any]]]:
    def walk(patterns: Any, prefix: str = "", namespace: str = "") -> Iterator[Any]:
        from django.urls import URLResolver

        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = f"{namespace}{p.name}" if p.name else None
                yield name, prefix + str(p.pattern), p.callback

    for name, route, callback in walk(get_resolver().url_patterns):
        if route.startswith(PUBLIC_PREFIXES) or name in PUBLIC | OPEN or name in LOGIN_ONLY:
            continue
        if "(?P<format>" in route or "\\." in route:
            continue
        yield name, route, callback


def api_views() -> list[tuple[str, type[APIView]]]:
    """(path, view class) of every DRF view in the URL configuration."""
    found = []
    for _name, route, callback in _callbacks():
        view_class = getattr(callback, "view_class", None)
        if view_class is not None and issubclass(view_class, APIView):
            found.append((_concrete(route), view_class))
    return found


def page_permissions(callback: Callable[..., Any]) -> tuple[str, frozenset[str]] | None:
    """("all"|"any", permissions) that a page's decorators check, read from their closures:
    Django's ``permission_required`` (all of) and ``requires_any`` (any of)."""
    stack, seen = [callback], set()
    while stack:
        func = stack.pop()
        if id(func) in seen:
            continue
        seen.add(id(func))
        code = getattr(func, "__code__", None)
        cells = getattr(func, "__closure__", None) or ()
        names = code.co_freevars if code else ()
        for var, cell in zip(names, cells, strict=False):
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if var == "perms" and isinstance(value, tuple | list):
                kind = "all" if func.__name__ == "check_perms" else "any"
                return kind, frozenset(value)
            if callable(value):
                stack.append(value)
        if wrapped := getattr(func, "__wrapped__", None):
            stack.append(wrapped)
    return None


def _matrix() -> tuple[list[Any], list[Any]]:
    api, pages = [], []
    for name, route, callback in _callbacks():
        path = _concrete(route)
        view_class = getattr(callback, "view_class", None)
        if view_class is not None and issubclass(view_class, APIView):
            api.append(pytest.param(path, view_class, id=path))
        else:
            pages.append(pytest.param(path, callback, id=name or path))
    return api, pages


API_VIEWS, PAGES = _matrix()


def test_the_walk_finds_pages_and_api_views():
    assert len(API_VIEWS) > 10 and len(PAGES) > 20


@pytest.mark.parametrize(("path", "view_class"), API_VIEWS)
def test_every_api_view_declares_its_permissions_and_enforces_them(path, view_class):
    assert RolePermission in view_class().get_permissions().__class__.__mro__ or any(
        isinstance(p, RolePermission) for p in view_class().get_permissions()
    ), f"{path}: {view_class.__name__} does not use RolePermission"
    declared = getattr(view_class, "required_permissions", None)
    assert declared, f"{path}: {view_class.__name__} declares no required_permissions"


@pytest.mark.parametrize(("path", "view_class"), API_VIEWS)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_api_methods_its_permissions_allow(
    client, role, path, view_class
):
    client.force_login(UserFactory(roles=[role]))
    required: dict[str, str] = view_class.required_permissions
    for method in METHODS:
        response = client.generic(method, path, "{}", content_type="application/json")
        allowed = method in required and required[method] in ROLE_PERMISSIONS[role]
        if allowed:
            assert response.status_code not in (401, 403), (role, method, path)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)


@pytest.mark.parametrize(("path", "callback"), PAGES)
def test_every_page_declares_a_permission(path, callback):
    assert page_permissions(callback), (
        f"{path} checks no permission: decorate it with permission_required/requires"
    )


@pytest.mark.parametrize(("path", "callback"), PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_pages_its_permissions_allow(client, role, path, callback):
    declared = page_permissions(callback)
    assert declared
    kind, perms = declared
    held = set(ROLE_PERMISSIONS[role])
    allowed = perms <= held if kind == "all" else bool(perms & held)
    client.force_login(UserFactory(roles=[role]))
    if allowed:
        response = client.get(path)
        assert response.status_code != 403, (role, path)
        assert not response.get("Location", "").startswith("/login/"), (role, path)
    else:
        assert client.get(path).status_code in (403, 405), (role, "GET", path)
        assert client.post(path).status_code in (403, 405), (role, "POST", path)


# Endpoints a token may use with one of several scopes (``required_scopes`` tuples), by
# role and scope: the role's permission and one of the scopes are both needed.
TOKEN_ENDPOINTS = [
    pytest.param(
        "GET",
        "/api/communications/{key}/schema",
        "templates_store.view_communication",
        {READ_STATUS, MANAGE_TEMPLATES},
        id="GET schema",
    ),
    pytest.param(
        "PUT",
        "/api/communications/{key}/schema",
        "templates_store.change_communication",
        {MANAGE_TEMPLATES},
        id="PUT schema",
    ),
]


@pytest.mark.parametrize(("method", "path", "permission", "scopes"), TOKEN_ENDPOINTS)
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
def test_a_token_needs_its_roles_permission_and_one_of_the_endpoints_scopes(
    role, scope, method, path, permission, scopes
):
    communication = published_version().communication
    _, secret = api_token_create(user=UserFactory(roles=[role]), name="matrix", scopes=[scope])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.generic(
        method, path.format(key=communication.key), "{}", content_type="application/json"
    )
    if permission in ROLE_PERMISSIONS[role] and scope in scopes:
        assert response.status_code == 200, (role, scope, response.content)
        if method == "GET":
            assert response.json() == PAYMENT_SCHEMA
    else:
        assert response.status_code == 403, (role, scope, response.status_code)


@pytest.mark.parametrize("endpoint", OBJECT_ENDPOINT_PARAMS)
@pytest.mark.parametrize("role", ROLES)
def test_a_second_client_of_the_same_role_reaches_only_what_the_role_spans(role, endpoint):
    """Two API clients (users with a token each) of one role: the second gets 404 for the
    first's objects, or a list without them, unless the role spans clients; the first
    still gets its own (asked second, so a refused write has not happened)."""
    first, second = UserFactory(roles=[role]), UserFactory(roles=[role])
    objects = first_clients_objects(first)
    path = endpoint.path.format(**objects)
    for who in (second, first):
        _, secret = api_token_create(user=who, name=f"{who.username} system")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        response = client.generic(endpoint.method, path, "{}", content_type="application/json")
        if not role_reaches(role, endpoint):
            assert response.status_code == 403, (role, path, response.status_code)
            continue
        sees = who == first or role_spans_clients(role, endpoint)
        assert_answer(endpoint, objects, response, sees=sees, who=(role, who.username, path))
