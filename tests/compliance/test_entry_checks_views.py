import pytest
from django.core.files.storage import storages
from django.urls import reverse

from channels.backends.email import email_build
from channels.services.test_sends import version_test_send
from compliance.models import AccessLog
from compliance.services import archive_record_create
from rendering.pdf import render_pdf
from rendering.render import render
from rendering.types import Recipient
from templates_store.models import ReviewEvent
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE, TestRecipientFactory

pytestmark = pytest.mark.django_db

OTHER_DATA = {**SAMPLE, "first_name": "Sam", "amount": 99}


def login(client, role: str):
    user = UserFactory(roles=[role])
    client.force_login(user)
    return user


def _rerender(client, entry, **headers):
    return client.post(reverse("compliance:entry_rerender", args=[entry.pk]), **headers)


def _archived_with_other_data(version, channel: str):
    """An entry whose artifact was rendered from SAMPLE but which records OTHER_DATA: the
    artifact no longer corresponds to what the entry says it was rendered from."""
    to = {"email": "sam@example.net", "sms": "+447700900555", "print": "Sam Lee\n1 Road"}[channel]
    rendered = render(
        version,
        channel,
        "en",
        SAMPLE,
        recipient=Recipient(name="Sam Lee", address_lines=tuple(to.splitlines())),
    )
    if channel == "email":
        content = email_build(
            rendered=rendered,
            to=to,
            to_name="Sam Lee",
            from_email="a@example.com",
            message_id="<1@x>",
        ).as_bytes()
        content_type = "message/rfc822"
    elif channel == "sms":
        content, content_type = rendered.text.encode(), "text/plain"
    else:
        content, content_type = render_pdf(rendered), "application/pdf"
    return archive_record_create(
        content=content,
        content_type=content_type,
        message=None,
        version=version,
        channel=channel,
        locale="en",
        recipient=to,
        recipient_name="Sam Lee",
        data=OTHER_DATA,
        is_test=True,
    )


class ApprovalRecordTests:
    def test_the_entry_page_shows_who_wrote_and_approved_the_version_and_the_hash(
        self, client, sent
    ):
        entry = sent["email"]
        version = entry.version
        approver = UserFactory()
        ReviewEvent.objects.create(
            version=version,
            actor=approver,
            action=ReviewEvent.Action.APPROVED,
            content_hash=version.content_hash,
        )
        login(client, "auditor")
        response = client.get(reverse("compliance:entry_detail", args=[entry.pk]))
        approval = response.context["approval"]
        assert (approval.author, approval.approved_by) == (version.author, approver)
        assert approval.matches and approval.content_unchanged and approval.hash_from_approval
        panel = response.content.decode().split('id="approval"', 1)[1].split('id="retention"')[0]
        assert version.author.get_username() in panel
        assert approver.get_username() in panel
        assert "Content hash at approval" in panel
        assert panel.count(version.content_hash) == 2
        assert '<span class="badge approved" id="approval-hash">matches</span>' in panel

    def test_a_hash_recorded_at_approval_that_is_not_the_one_sent_differs(self, client, sent):
        entry = sent["sms"]
        ReviewEvent.objects.create(
            version=entry.version,
            actor=UserFactory(),
            action=ReviewEvent.Action.APPROVED,
            content_hash="f" * 64,
        )
        login(client, "compliance_officer")
        page = client.get(reverse("compliance:entry_detail", args=[entry.pk])).content.decode()
        assert '<span class="badge failed" id="approval-hash">differs</span>' in page
        assert "f" * 64 in page


class RerenderCheckTests:
    @pytest.mark.parametrize("channel", ["email", "sms", "print"])
    @pytest.mark.parametrize("role", ["compliance_officer", "auditor"])
    def test_a_sent_message_renders_again_identically(self, client, role, channel, sent):
        user = login(client, role)
        entry = sent[channel]
        response = _rerender(client, entry)
        assert response.status_code == 200
        check = response.context["rerender"]
        assert check.identical, check
        assert "Re-render: identical (" in response.content.decode()
        log = AccessLog.objects.get(actor=user)
        assert (log.action, log.entry_id, log.query) == (
            "view",
            entry.pk,
            {"rerender": "identical"},
        )

    @pytest.mark.parametrize("channel", ["email", "sms", "print"])
    def test_a_test_send_renders_again_identically(self, client, channel, sent):
        to = {"email": "ann@example.net", "sms": "+447400123456", "print": "Ann Lee\n2 Road"}
        TestRecipientFactory(kind="email", address="ann@example.net")
        TestRecipientFactory(kind="sms", address="+447400123456")
        entry, _ = version_test_send(
            version=sent["version"],
            actor=UserFactory(),
            channel=channel,
            locale="en",
            to=to[channel],
            to_name="Ann",
        )
        login(client, "compliance_officer")
        check = _rerender(client, entry).context["rerender"]
        assert check.identical and check.compared, check

    @pytest.mark.parametrize(
        ("channel", "differing"),
        [
            ("email", "subject, plain-text part, HTML part"),
            ("sms", "SMS text"),
            ("print", "page 1"),
        ],
    )
    def test_an_artifact_that_does_not_match_its_data_differs(
        self, client, channel, differing, sent
    ):
        entry = _archived_with_other_data(sent["version"], channel)
        user = login(client, "compliance_officer")
        response = _rerender(client, entry)
        assert not response.context["rerender"].identical
        assert f"Re-render: differs ({differing})." in response.content.decode()
        assert AccessLog.objects.get(actor=user).query == {"rerender": "differs"}

    def test_with_htmx_only_the_result_is_returned(self, client, sent):
        login(client, "auditor")
        response = _rerender(client, sent["sms"], HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert body.startswith('<div id="rerender"') and "<html" not in body
        assert "Re-render: identical (SMS text, data)." in body

    def test_a_missing_artifact_cannot_be_compared(self, client, sent):
        entry = sent["email"]
        storages["archive"].delete(entry.artifact_name)
        login(client, "auditor")
        response = _rerender(client, entry)
        assert "Re-render: not possible — the artifact is missing" in response.content.decode()
        assert AccessLog.objects.get().query == {"rerender": "error"}

    def test_the_entry_page_offers_the_check(self, client, sent):
        login(client, "auditor")
        entry = sent["print"]
        page = client.get(reverse("compliance:entry_detail", args=[entry.pk])).content.decode()
        assert f'hx-post="{reverse("compliance:entry_rerender", args=[entry.pk])}"' in page

    @pytest.mark.parametrize("role", ["operator", "designer"])
    def test_other_roles_are_refused(self, client, role, sent):
        login(client, role)
        assert _rerender(client, sent["email"]).status_code == 403
        assert (
            client.get(reverse("compliance:entry_rerender", args=[sent["email"].pk])).status_code
            == 403
        )
        assert not AccessLog.objects.exists()
