import pytest
from django.urls import reverse

from templates_store import services
from templates_store.models import TemplateVariant, TemplateVersion
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import (
    CONTENT,
    CommunicationFactory,
    TemplateVersionFactory,
    add_variants,
    published_version,
)

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status
MATRIX = reverse("templates_store:communication_matrix")


@pytest.fixture
def seeded():
    """alpha: published, nothing newer. beta: published, and a version in review that
    changes email/en and drops sms/ja. gamma: only a draft with email/en. delta: published
    with email and SMS in English only, and a draft copied unchanged."""
    designer = UserFactory(roles=["designer"])
    published_version(communication=CommunicationFactory(key="alpha", name="Alpha"))

    beta = CommunicationFactory(key="beta", name="Beta", owner_team="Billing")
    published_version(communication=beta)
    pending = services.version_create(communication=beta, author=designer)
    TemplateVariant.objects.filter(version=pending, channel="email", locale="en").update(
        body_html="<p>Dear {{ first_name }}, a new text.</p>"
    )
    TemplateVariant.objects.filter(version=pending, channel="sms", locale="ja").delete()
    TemplateVersion.objects.filter(pk=pending.pk).update(status=Status.IN_REVIEW)

    gamma = CommunicationFactory(key="gamma", name="Gamma", owner_team="Billing")
    add_variants(
        TemplateVersionFactory(communication=gamma),
        {("email", "en"): CONTENT[("email", "en")]},
    )

    delta = CommunicationFactory(key="delta", name="Delta", category="marketing")
    published_version(
        communication=delta,
        content={key: CONTENT[key] for key in [("email", "en"), ("sms", "en")]},
    )
    services.version_create(communication=delta, author=designer)
    return {"beta_pending": pending}


def states(response) -> dict[tuple[str, str, str], str]:
    return {
        (row.communication.key, cell.channel, cell.locale): cell.state
        for row in response.context["matrix"].rows
        for cell in row.cells
    }


class CoverageMatrixTests:
    def test_it_computes_each_cells_state_from_the_versions(self, client, seeded):
        client.force_login(UserFactory(roles=["designer"]))
        response = client.get(MATRIX)
        assert response.status_code == 200
        cells = states(response)
        assert len(cells) == 4 * 3 * 2
        assert {
            cells[("alpha", c, loc)] for c in ("email", "sms", "print") for loc in ("en", "ja")
        } == {"published"}
        assert cells[("beta", "email", "en")] == "outdated"
        assert cells[("beta", "sms", "ja")] == "outdated"  # dropped by the newer version
        assert cells[("beta", "sms", "en")] == "published"  # same content in the newer one
        assert cells[("beta", "print", "ja")] == "published"
        assert cells[("gamma", "email", "en")] == "unpublished"
        assert cells[("gamma", "email", "ja")] == "missing"
        assert cells[("gamma", "print", "en")] == "missing"
        # An unchanged copy does not make anything out of date.
        assert cells[("delta", "email", "en")] == "published"
        assert cells[("delta", "sms", "en")] == "published"
        assert cells[("delta", "sms", "ja")] == "missing"
        assert cells[("delta", "print", "en")] == "missing"

    def test_a_cell_names_its_versions_and_links_to_the_one_to_open(self, client, seeded):
        client.force_login(UserFactory(roles=["designer"]))
        response = client.get(MATRIX)
        rows = {row.communication.key: row for row in response.context["matrix"].rows}
        pending = seeded["beta_pending"]
        email_en = rows["beta"].cells[0]
        assert (email_en.channel, email_en.locale) == ("email", "en")
        assert (email_en.published_number, email_en.pending_number) == (1, 2)
        assert email_en.pending_status == "in_review"
        assert email_en.version_id == pending.pk
        html = response.content.decode()
        version_url = reverse("templates_store:version_detail", args=[pending.pk])
        assert f'href="{version_url}?locale=en"' in html
        assert 'data-state="outdated"' in html and "Out of date" in html

    @pytest.mark.parametrize(
        ("query", "keys"),
        [
            ({"state": "outdated"}, ["beta"]),
            ({"state": "unpublished"}, ["gamma"]),
            ({"state": "missing"}, ["delta", "gamma"]),
            ({"team": "Billing"}, ["beta", "gamma"]),
            ({"category": "marketing"}, ["delta"]),
            ({"q": "alp"}, ["alpha"]),
            # The state filter looks at the columns shown only.
            ({"channel": "sms", "state": "outdated"}, ["beta"]),
            ({"channel": "print", "state": "outdated"}, []),
            ({"locale": "ja", "state": "outdated"}, ["beta"]),
            ({"locale": "en", "state": "missing"}, ["delta", "gamma"]),
        ],
    )
    def test_it_filters(self, client, seeded, query, keys):
        client.force_login(UserFactory(roles=["designer"]))
        response = client.get(MATRIX, query)
        assert sorted(row.communication.key for row in response.context["matrix"].rows) == keys

    def test_channel_and_locale_filters_keep_those_columns_only(self, client, seeded):
        client.force_login(UserFactory(roles=["designer"]))
        response = client.get(MATRIX, {"channel": "print", "locale": "ja"})
        assert response.context["matrix"].columns == (("print", "Print letter", "ja"),)
        assert {(c, loc) for (_k, c, loc) in states(response)} == {("print", "ja")}

    def test_an_unknown_filter_value_is_ignored(self, client, seeded):
        client.force_login(UserFactory(roles=["designer"]))
        response = client.get(MATRIX, {"state": "bogus", "channel": "fax"})
        assert len(response.context["matrix"].rows) == 4
        assert response.context["filters"]["state"] == ""

    def test_the_catalogue_links_to_it(self, client, seeded):
        client.force_login(UserFactory(roles=["designer"]))
        html = client.get(reverse("templates_store:communication_list")).content.decode()
        assert f'href="{MATRIX}"' in html

    def test_it_needs_a_login_and_the_catalogue_permission(self, client, seeded):
        assert client.get(MATRIX).status_code == 302
        client.force_login(UserFactory())
        assert client.get(MATRIX).status_code == 403
