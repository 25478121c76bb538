"""The catalogue pages (templates_store/views_communications.py): list and filters, creating
a communication, its page, a new draft."""

import pytest

from templates_store import services
from templates_store.models import Communication, TemplateVersion
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import BrandFactory, CommunicationFactory, published_version
from tests.templates_store.studio_pages import catalogue_reader, url

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status


class CommunicationListTests:
    def test_it_shows_what_each_communication_covers_and_which_version_is_published(
        self, client, designer, draft
    ):
        published = published_version(communication=CommunicationFactory(key="welcome-pack"))
        client.force_login(designer)
        response = client.get(url("communication_list"))
        assert response.status_code == 200
        rows = {row.communication.key: row for row in response.context["page"]}
        assert rows["reminder"].locales == ("en", "ja")
        assert [value for value, _ in rows["reminder"].channels] == ["email", "sms", "print"]
        assert rows["reminder"].published_number is None
        assert rows["welcome-pack"].published_number == published.number
        html = response.content.decode()
        assert "Billing" in html and "Request payment" in html
        assert url("communication_create") in html

    def test_it_searches_by_key_or_name_and_filters_by_category_and_channel(
        self, client, designer, draft
    ):
        CommunicationFactory(key="promo", name="Spring offer", category="marketing")
        services.variant_delete(version=draft, channel="sms", locale="en")
        services.variant_delete(version=draft, channel="sms", locale="ja")
        client.force_login(designer)

        def keys(**params):
            response = client.get(url("communication_list"), params)
            return [row.communication.key for row in response.context["page"]]

        assert keys(q="spring") == ["promo"]
        assert keys(q="remind") == ["reminder"]
        assert keys(category="marketing") == ["promo"]
        assert keys(channel="email") == ["reminder"]
        assert keys(channel="sms") == []

    def test_it_filters_by_purpose_owner_team_and_language_and_searches_descriptions(
        self, client, designer, draft
    ):
        CommunicationFactory(
            key="promo",
            name="Spring offer",
            category="marketing",
            purpose="advertise",
            owner_team="Marketing",
            description="Seasonal discount for loyal customers.",
        )
        for channel in ("email", "sms", "print"):
            services.variant_delete(version=draft, channel=channel, locale="ja")
        client.force_login(designer)

        def keys(**params):
            response = client.get(url("communication_list"), params)
            return sorted(row.communication.key for row in response.context["page"])

        assert keys(purpose="advertise") == ["promo"]
        assert keys(purpose="request_payment") == []
        assert keys(team="Billing") == ["reminder"]
        assert keys(q="loyal") == ["promo"]
        assert keys(q="billing") == ["reminder"]
        assert keys(locale="en") == ["reminder"]
        assert keys(locale="ja") == []
        assert keys(locale="en", channel="print") == ["reminder"]
        assert keys(purpose="bogus") == ["promo", "reminder"]  # an unknown value is ignored
        html = client.get(url("communication_list")).content.decode()
        assert '<option value="Billing">' in html and '<option value="advertise">' in html

    def test_it_shows_no_new_button_to_people_who_cannot_create(self, client, approver):
        client.force_login(approver)
        response = client.get(url("communication_list"))
        assert response.status_code == 200
        assert url("communication_create") not in response.content.decode()

    def test_it_is_refused_without_a_role(self, client):
        client.force_login(UserFactory())
        assert client.get(url("communication_list")).status_code == 403


class CommunicationCreateTests:
    def form(self, **overrides):
        data = {
            "key": "card-expiry",
            "name": "Card expiry",
            "description": "Tells the customer their card expires.",
            "purpose": "notify",
            "category": "transactional",
            "owner_team": "Cards",
            "brand": BrandFactory().pk,
            "data_schema": '{"type": "object", "required": ["first_name"]}',
            "sms_max_segments": "2",
            "letter_max_pages": "3",
        }
        return {**data, **overrides}

    def test_a_designer_creates_a_communication_with_a_first_draft(self, client, designer):
        client.force_login(designer)
        response = client.post(url("communication_create"), self.form())
        communication = Communication.objects.get(key="card-expiry")
        assert response.status_code == 302
        assert response["Location"] == url("communication_detail", communication.pk)
        assert communication.data_schema == {"type": "object", "required": ["first_name"]}
        assert (communication.sms_max_segments, communication.letter_max_pages) == (2, 3)
        assert communication.versions.get().status == Status.DRAFT

    @pytest.mark.parametrize(
        ("schema", "message"),
        [
            ('{"type": "object",', "Not valid JSON"),
            ("[1, 2]", "Must be a JSON object"),
            ('{"type": "no-such-type"}', "Not a valid JSON Schema"),
        ],
    )
    def test_it_refuses_a_data_schema_that_is_not_a_json_schema_object(
        self, client, designer, schema, message
    ):
        client.force_login(designer)
        response = client.post(url("communication_create"), self.form(data_schema=schema))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Communication.objects.exists()

    def test_it_refuses_a_duplicate_key(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(url("communication_create"), self.form(key="reminder"))
        assert response.status_code == 200
        assert Communication.objects.count() == 1

    def test_an_approver_cannot_create(self, client, approver):
        client.force_login(approver)
        assert client.get(url("communication_create")).status_code == 403
        assert client.post(url("communication_create"), self.form()).status_code == 403


class CommunicationDetailTests:
    def test_it_lists_versions_with_status_and_author(self, client, designer, draft):
        client.force_login(designer)
        response = client.get(url("communication_detail", draft.communication.pk))
        html = response.content.decode()
        assert response.status_code == 200
        assert url("version_detail", draft.pk) in html
        assert 'class="badge draft"' in html
        assert "Dana Designer" in html
        assert url("version_create", draft.communication.pk) in html

    def test_new_draft_copies_the_latest_version(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(url("version_create", draft.communication.pk))
        new = draft.communication.versions.get(number=2)
        assert response["Location"] == url("version_detail", new.pk)
        assert new.variants.count() == draft.variants.count()

    def test_a_catalogue_reader_sees_the_communication_but_not_its_versions(self, client, draft):
        client.force_login(catalogue_reader())
        response = client.get(url("communication_detail", draft.communication.pk))
        assert response.status_code == 200
        assert url("version_detail", draft.pk) not in response.content.decode()
        assert client.get(url("version_detail", draft.pk)).status_code == 403
        assert client.post(url("version_create", draft.communication.pk)).status_code == 403
