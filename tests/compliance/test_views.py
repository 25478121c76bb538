import html

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance import views
from compliance.models import AccessLog
from compliance.services import ArchiveRecord, archive_record_create, archive_records_create
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db

MAY_VIEW = ["compliance_officer", "auditor"]
MAY_NOT_VIEW = ["operator", "designer", "approver"]


def login(client, role: str):
    user = UserFactory(roles=[role])
    client.force_login(user)
    return user


class EntryListTests:
    @pytest.mark.parametrize("role", MAY_VIEW)
    def test_a_search_lists_matching_entries_and_is_recorded(self, client, role, sent):
        user = login(client, role)
        response = client.get(reverse("compliance:entry_list"), {"q": "alex.jones@"})
        assert response.status_code == 200
        assert list(response.context["page"]) == [sent["email"]]
        assert (
            reverse("compliance:entry_detail", args=[sent["email"].pk]) in response.content.decode()
        )
        log = AccessLog.objects.get(actor=user)
        assert log.action == AccessLog.Action.SEARCH
        assert log.query == {"q": "alex.jones@"}

    def test_pages_follow_the_newest_first_order_by_keyset_and_counts_stop_at_a_limit(
        self, client, monkeypatch
    ):
        version = published_version()
        entries = archive_records_create(
            records=[
                ArchiveRecord(
                    content=f"text {n}".encode(),
                    content_type="text/plain",
                    message=None,
                    version=version,
                    channel="sms",
                    locale="en",
                    recipient=f"+4477009{n:05d}",
                    data={},
                )
                for n in range(7)
            ]
        )
        # All in one chunk: one created_at, so the id orders them.
        newest_first = sorted(entries, key=lambda e: (e.created_at, e.pk), reverse=True)
        monkeypatch.setattr(views, "PAGE_SIZE", 3)
        user = login(client, "auditor")
        url = reverse("compliance:entry_list")
        first = client.get(url).context["page"]
        assert list(first) == newest_first[:3] and first.newer == "" and first.total == 7
        second = client.get(url, {"older": first.older}).context["page"]
        assert list(second) == newest_first[3:6]
        last = client.get(url, {"older": second.older}).context["page"]
        assert list(last) == newest_first[6:] and last.older == ""
        back = client.get(url, {"newer": last.newer}).context["page"]
        assert list(back) == newest_first[3:6]
        assert list(client.get(url, {"newer": back.newer}).context["page"]) == newest_first[:3]
        assert list(client.get(url, {"older": "not-a-cursor"}).context["page"]) == first.entries
        assert AccessLog.objects.filter(actor=user, query__older=first.older).exists()

        monkeypatch.setattr(views, "COUNT_LIMIT", 5)
        response = client.get(url)
        assert response.context["page"].more_than_limit
        assert "More than 5 communications match." in response.content.decode()

    def test_the_list_reads_the_same_number_of_queries_however_many_entries_it_shows(
        self, client, sent, django_assert_num_queries
    ):
        login(client, "auditor")
        url = reverse("compliance:entry_list")
        client.get(url)  # sessions, permissions and caches warmed
        with CaptureQueriesContext(connection) as three:
            assert len(client.get(url).context["page"]) == 3
        archive_records_create(
            records=[
                ArchiveRecord(
                    content=f"more {n}".encode(),
                    content_type="text/plain",
                    message=None,
                    version=sent["version"],
                    channel="sms",
                    locale="en",
                    recipient=f"+4477009{n:05d}",
                    data={"n": n},
                    customer=sent["customers"][0],
                )
                for n in range(4)
            ]
        )
        with django_assert_num_queries(len(three.captured_queries)):
            assert len(client.get(url).context["page"]) == 7

    def test_it_filters_by_channel_batch_communication_and_customer(self, client, sent):
        login(client, "compliance_officer")
        url = reverse("compliance:entry_list")
        assert list(client.get(url, {"channel": "sms"}).context["page"]) == [sent["sms"]]
        assert len(client.get(url, {"batch": sent["batch"].pk}).context["page"]) == 3
        assert len(client.get(url, {"batch": sent["batch"].pk + 1}).context["page"]) == 0
        key = sent["version"].communication.key
        assert len(client.get(url, {"communication": key}).context["page"]) == 3
        by_customer = client.get(url, {"q": sent["customers"][2].external_id}).context["page"]
        assert list(by_customer) == [sent["print"]]
        assert list(client.get(url, {"q": "山田"}).context["page"]) == [sent["sms"]]

    def test_test_sends_are_shown_only_when_asked(self, client, sent):
        version = sent["version"]
        test_entry = archive_record_create(
            content=b"Test text",
            content_type="text/plain",
            message=None,
            version=version,
            channel="sms",
            locale="en",
            recipient="+447700900999",
            data=SAMPLE,
            is_test=True,
        )
        login(client, "auditor")
        url = reverse("compliance:entry_list")
        assert test_entry not in list(client.get(url).context["page"])
        response = client.get(url, {"tests": "on"})
        assert test_entry in list(response.context["page"])
        assert '<span class="badge test">' in response.content.decode()

    def test_invalid_criteria_show_nothing_and_record_nothing(self, client, sent):
        login(client, "auditor")
        response = client.get(reverse("compliance:entry_list"), {"batch": "abc"})
        assert response.status_code == 200 and response.context["page"] is None
        assert not AccessLog.objects.exists()

    @pytest.mark.parametrize("role", MAY_NOT_VIEW)
    def test_other_roles_are_refused(self, client, role):
        login(client, role)
        assert client.get(reverse("compliance:entry_list")).status_code == 403
        assert not AccessLog.objects.exists()


class EntryDetailTests:
    @pytest.mark.parametrize("role", MAY_VIEW)
    def test_an_email_is_shown_as_sent_and_the_view_recorded(self, client, role, sent):
        user = login(client, role)
        entry = sent["email"]
        response = client.get(reverse("compliance:entry_detail", args=[entry.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Payment of £120.50 due" in page
        assert "Alex Jones &lt;alex.jones@example.net&gt;" in page
        assert entry.message_reference in html.unescape(page)
        assert '<iframe class="email-frame" sandbox=""' in page
        srcdoc = html.unescape(page.split('srcdoc="', 1)[1].split('"></iframe>', 1)[0])
        assert srcdoc.startswith(
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\''
        )
        assert "<p>Dear Alex,</p>" in srcdoc
        assert "Please pay £120.50 by December 15, 2026." in page  # the text part
        assert "matches its recorded sha256" in page
        assert entry.version.content_hash in page
        assert entry.version.approved_by.get_username() in page
        # The delivery timeline.
        sent_event = entry.message.events.get(kind="sent")
        assert f'<span class="badge sent">Sent</span> {sent_event.at:%Y-%m-%d %H:%M:%S}' in page
        log = AccessLog.objects.get(actor=user)
        assert (log.action, log.entry_id) == (AccessLog.Action.VIEW, entry.pk)

    def test_an_sms_is_shown_in_a_phone_with_its_encoding_and_segments(self, client, sent):
        login(client, "compliance_officer")
        page = client.get(
            reverse("compliance:entry_detail", args=[sent["sms"].pk])
        ).content.decode()
        assert '<div class="phone">' in page
        bubble = page.split('<div class="bubble">', 1)[1].split("</div>", 1)[0]
        assert "お支払いください" in bubble
        assert "UCS-2" in page and "1 segment" in page

    def test_a_letter_is_embedded_and_served_as_pdf(self, client, sent):
        user = login(client, "auditor")
        entry = sent["print"]
        artifact_url = reverse("compliance:entry_artifact", args=[entry.pk])
        page = client.get(reverse("compliance:entry_detail", args=[entry.pk])).content.decode()
        assert f'<iframe class="pdf-frame" title="Letter" src="{artifact_url}">' in page
        assert f'href="{artifact_url}?download=1"' in page

        response = client.get(artifact_url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline")
        assert response["X-Frame-Options"] == "SAMEORIGIN"
        body = b"".join(response.streaming_content)
        assert body.startswith(b"%PDF")
        assert len(body) == entry.artifact_size

        response = client.get(artifact_url, {"download": "1"})
        assert (
            response["Content-Disposition"]
            == f'attachment; filename="archive-entry-{entry.pk}.pdf"'
        )
        actions = list(
            AccessLog.objects.filter(actor=user).order_by("id").values_list("action", "query")
        )
        assert actions == [
            ("view", {}),
            ("view", {"artifact": "inline"}),
            ("download", {"artifact": "download"}),
        ]

    def test_an_email_artifact_is_downloaded_byte_for_byte_and_never_runs(self, client, sent):
        login(client, "compliance_officer")
        entry = sent["email"]
        response = client.get(
            reverse("compliance:entry_artifact", args=[entry.pk]), {"download": "1"}
        )
        assert response["Content-Type"] == "message/rfc822"
        assert response["Content-Security-Policy"] == "sandbox"
        with storages["archive"].open(entry.artifact_name, "rb") as fh:
            assert b"".join(response.streaming_content) == fh.read()

    def test_a_tampered_artifact_does_not_match(self, client, sent):
        entry = sent["sms"]
        storage = storages["archive"]
        with open(storage.path(entry.artifact_name), "wb") as fh:
            fh.write("山田様、0円です。".encode())
        login(client, "auditor")
        page = client.get(reverse("compliance:entry_detail", args=[entry.pk])).content.decode()
        assert "DOES NOT MATCH" in page
        assert "matches its recorded sha256" not in page

    def test_a_missing_artifact_does_not_match(self, client, sent):
        entry = sent["email"]
        storages["archive"].delete(entry.artifact_name)
        login(client, "auditor")
        page = client.get(reverse("compliance:entry_detail", args=[entry.pk])).content.decode()
        assert "DOES NOT MATCH — the stored artifact is missing" in page
        assert client.get(reverse("compliance:entry_artifact", args=[entry.pk])).status_code == 404

    def test_the_archive_cannot_be_changed_through_the_pages(self, client, sent):
        login(client, "compliance_officer")
        entry = sent["email"]
        for name in ("compliance:entry_detail", "compliance:entry_artifact"):
            assert client.post(reverse(name, args=[entry.pk])).status_code == 405
        assert client.delete(reverse("compliance:entry_detail", args=[entry.pk])).status_code == 405

    @pytest.mark.parametrize("role", MAY_NOT_VIEW)
    def test_other_roles_are_refused(self, client, role, sent):
        login(client, role)
        entry = sent["print"]
        assert client.get(reverse("compliance:entry_detail", args=[entry.pk])).status_code == 403
        assert client.get(reverse("compliance:entry_artifact", args=[entry.pk])).status_code == 403
        assert not AccessLog.objects.exists()
