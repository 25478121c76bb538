import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from templates_store import services
from templates_store.models import ReviewEvent, TemplateVersion
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.django_db
Status = TemplateVersion.Status


def url(name, *args):
    return reverse(f"templates_store:{name}", args=args)


def flashes(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def in_review(draft, designer):
    return services.version_submit(version=draft, actor=designer)


class ReviewListTests:
    def test_it_lists_versions_in_review_and_approved_ones(
        self, client, approver, in_review, draft
    ):
        other = published_version()
        client.force_login(approver)
        response = client.get(url("review_list"))
        assert response.status_code == 200
        assert list(response.context["versions"]) == [in_review]
        html = response.content.decode()
        assert url("review_detail", in_review.pk) in html
        assert url("review_detail", other.pk) not in html

    def test_designers_have_no_review_queue(self, client, designer, in_review):
        client.force_login(designer)
        assert client.get(url("review_list")).status_code == 403
        assert client.get(url("review_detail", in_review.pk)).status_code == 403
        assert client.post(url("version_approve", in_review.pk)).status_code == 403
        assert client.post(url("version_publish", in_review.pk)).status_code == 403


class ReviewFlowTests:
    def test_submit_approve_and_publish_through_the_pages(self, client, designer, approver, draft):
        previous = published_version(communication=draft.communication)
        client.force_login(designer)
        client.post(url("version_submit", draft.pk))

        client.force_login(approver)
        page = client.get(url("review_detail", draft.pk))
        assert url("version_approve", draft.pk) in page.content.decode()
        response = client.post(url("version_approve", draft.pk), {"comment": "Wording checked."})
        assert response["Location"] == url("review_detail", draft.pk)
        draft.refresh_from_db()
        assert (draft.status, draft.approved_by) == (Status.APPROVED, approver)

        page = client.get(url("review_detail", draft.pk))
        assert url("version_publish", draft.pk) in page.content.decode()
        assert "Wording checked." in page.content.decode()
        response = client.post(url("version_publish", draft.pk))
        assert response["Location"] == url("communication_detail", draft.communication.pk)
        draft.refresh_from_db()
        previous.refresh_from_db()
        assert (draft.status, previous.status) == (Status.PUBLISHED, Status.RETIRED)
        assert list(draft.events.values_list("action", flat=True)) == [
            ReviewEvent.Action.CREATED,
            ReviewEvent.Action.SUBMITTED,
            ReviewEvent.Action.APPROVED,
            ReviewEvent.Action.PUBLISHED,
        ]

    def test_the_author_sees_no_approve_button_and_cannot_approve(
        self, client, designer, in_review
    ):
        designer.groups.add(Group.objects.get(name="approver"))
        client.force_login(designer)
        page = client.get(url("review_detail", in_review.pk))
        html = page.content.decode()
        assert page.status_code == 200
        assert url("version_approve", in_review.pk) not in html
        assert url("version_reject", in_review.pk) not in html
        assert "You wrote this version" in html

        response = client.post(url("version_approve", in_review.pk), follow=True)
        in_review.refresh_from_db()
        assert in_review.status == Status.IN_REVIEW
        assert "Nobody approves their own work" in response.content.decode()

    def test_a_rejection_needs_a_comment_and_sends_the_version_back(
        self, client, approver, in_review
    ):
        client.force_login(approver)
        response = client.post(url("version_reject", in_review.pk), {"comment": ""})
        in_review.refresh_from_db()
        assert in_review.status == Status.IN_REVIEW
        assert any("why" in m for m in flashes(response))

        client.post(url("version_reject", in_review.pk), {"comment": "Due date is wrong."})
        in_review.refresh_from_db()
        assert in_review.status == Status.DRAFT
        assert in_review.events.last().comment == "Due date is wrong."

    def test_a_draft_cannot_be_approved_nor_a_version_in_review_published(
        self, client, approver, draft
    ):
        client.force_login(approver)
        response = client.post(url("version_approve", draft.pk))
        assert flashes(response)
        response = client.post(url("version_publish", draft.pk))
        assert flashes(response)
        draft.refresh_from_db()
        assert draft.status == Status.DRAFT

    def test_a_retired_version_can_be_published_again(self, client, approver, draft):
        old = published_version(communication=draft.communication)
        old.status = Status.RETIRED
        old.save()
        newer = published_version(communication=draft.communication)
        client.force_login(approver)
        page = client.get(url("review_detail", old.pk)).content.decode()
        assert url("version_publish", old.pk) in page and "Publish again" in page
        client.post(url("version_publish", old.pk))
        old.refresh_from_db()
        newer.refresh_from_db()
        assert (old.status, newer.status) == (Status.PUBLISHED, Status.RETIRED)


class ReviewDiffTests:
    def test_it_shows_the_changed_text_against_the_published_version(
        self, client, designer, approver
    ):
        published = published_version(author=designer)
        draft = services.version_create(communication=published.communication, author=designer)
        services.variant_save(
            version=draft,
            channel="sms",
            locale="en",
            body_text="Acme: {{ first_name }}, please settle {{ amount|money('GBP') }} today.",
        )
        services.variant_delete(version=draft, channel="print", locale="ja")
        services.version_submit(version=draft, actor=designer)
        client.force_login(approver)
        response = client.get(url("review_detail", draft.pk), {"locale": "en"})
        html = response.content.decode()
        assert response.context["base"] == published
        changed = [(d.channel, d.locale, d.field, d.status) for d in response.context["diffs"]]
        assert ("sms", "en", "body_text", "changed") in changed
        assert ("print", "ja", "body_html", "removed") in changed
        assert not any(c[:2] == ("email", "en") for c in changed)
        sms_diff = next(d for d in response.context["diffs"] if d.channel == "sms")
        inserted = "".join(
            s.text
            for line in sms_diff.hunks[0]
            if line.kind == "insert"
            for s in line.segments
            if s.changed
        )
        assert "please settle" in inserted
        assert "<ins>" in html and "<del>" in html
        # Old and new previews side by side, each with its own letter PDF.
        assert 'id="preview-old"' in html and 'id="preview-new"' in html
        assert f"{url('version_preview_pdf', published.pk)}?locale=en" in html
        assert f"{url('version_preview_pdf', draft.pk)}?locale=en" in html
        assert "please settle £120.50 today" in html

    def test_with_nothing_published_every_field_is_new(self, client, approver, in_review):
        client.force_login(approver)
        response = client.get(url("review_detail", in_review.pk))
        assert response.context["base"] is None
        statuses = {d.status for d in response.context["diffs"]}
        assert statuses == {"added"}
        assert "Nothing is published yet." in response.content.decode()

    def test_the_audit_trail_is_shown(self, client, in_review):
        reviewer = UserFactory(roles=["approver"], username="rev-kim")
        services.version_reject(version=in_review, actor=reviewer, comment="Tone is too harsh.")
        client.force_login(reviewer)
        html = client.get(url("review_detail", in_review.pk)).content.decode()
        assert "Tone is too harsh." in html and "rev-kim" in html
        assert "Submitted for review" in html and "Rejected" in html
