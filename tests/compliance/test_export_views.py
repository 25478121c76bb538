import hashlib
import io
import json
import re
import zipfile

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from compliance import views
from compliance.models import AccessLog
from compliance.services import archive_record_create
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE

pytestmark = pytest.mark.django_db


def login(client, role: str):
    user = UserFactory(roles=[role])
    client.force_login(user)
    return user


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert re.fullmatch(
        r'attachment; filename="evidence-\d{8}-\d{6}\.zip"', response["Content-Disposition"]
    )
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _stored(entry) -> bytes:
    with storages["archive"].open(entry.artifact_name, "rb") as fh:
        return fh.read()


def _search_export_url(**criteria) -> str:
    query = "&".join(f"{key}={value}" for key, value in criteria.items())
    return f"{reverse('compliance:search_export')}?{query}"


class SearchExportTests:
    def test_the_search_is_downloaded_as_a_zip_of_artifacts_and_manifest(self, client, sent):
        officer = login(client, "compliance_officer")
        batch = sent["batch"]
        response = client.post(
            _search_export_url(batch=batch.pk), {"reason": "Complaint 7", "scope": "search"}
        )
        with _zip(response) as archive:
            names = set(archive.namelist())
            for channel, extension in (("email", "eml"), ("sms", "txt"), ("print", "pdf")):
                entry = sent[channel]
                assert archive.read(f"artifacts/{entry.pk}.{extension}") == _stored(entry)
            assert {"manifest.csv", "manifest.json", "SHA256SUMS", "seals.json"} <= names
            manifest = json.loads(archive.read("manifest.json"))
            sums = archive.read("SHA256SUMS").decode()
        assert manifest["reason"] == "Complaint 7"
        assert {row["entry_id"] for row in manifest["entries"]} == {
            sent[channel].pk for channel in ("email", "sms", "print")
        }
        assert hashlib.sha256(_stored(sent["sms"])).hexdigest() in sums
        log = AccessLog.objects.get(action=AccessLog.Action.EXPORT)
        assert (log.actor, log.reason) == (officer, "Complaint 7")
        assert log.query["batch"] == str(batch.pk) and log.query["count"] == 3

    def test_the_search_page_offers_the_export_to_officers_only(self, client, sent):
        login(client, "compliance_officer")
        page = client.get(reverse("compliance:entry_list"), {"channel": "sms"}).content.decode()
        assert 'id="evidence-export"' in page
        assert f'action="{reverse("compliance:search_export")}?channel=sms"' in page
        assert "Export evidence (1 communication)" in page
        login(client, "auditor")
        page = client.get(reverse("compliance:entry_list"), {"channel": "sms"}).content.decode()
        assert 'id="evidence-export"' not in page

    def test_an_empty_reason_is_refused_and_the_search_shown_again(self, client, sent):
        login(client, "compliance_officer")
        response = client.post(_search_export_url(channel="email"), {"reason": "   "})
        assert response.status_code == 400
        assert list(response.context["page"]) == [sent["email"]]
        assert "Give a reason: it is recorded." in response.content.decode()
        assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()

    def test_a_search_that_matches_nothing_exports_nothing(self, client, sent):
        login(client, "compliance_officer")
        response = client.post(_search_export_url(q="nobody@"), {"reason": "Case 1"})
        assert response.status_code == 400
        assert "there is nothing to export" in response.content.decode()
        assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()

    def test_it_says_so_when_more_entries_match_than_one_export_holds(
        self, client, sent, monkeypatch
    ):
        monkeypatch.setattr(views, "EXPORT_LIMIT", 2)
        login(client, "compliance_officer")
        page = client.get(reverse("compliance:entry_list")).content.decode()
        assert "3 communications match: only the newest 2 are exported." in page
        response = client.post(_search_export_url(), {"reason": "Audit"})
        with _zip(response) as archive:
            assert len([n for n in archive.namelist() if n.startswith("artifacts/")]) == 2
        assert AccessLog.objects.get(action=AccessLog.Action.EXPORT).query["count"] == 2

    @pytest.mark.parametrize("role", ["auditor", "operator", "designer"])
    def test_other_roles_cannot_export(self, client, role, sent):
        login(client, role)
        response = client.post(_search_export_url(), {"reason": "Curious"})
        assert response.status_code == 403
        assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


class SubjectAccessExportTests:
    def test_everything_sent_to_the_named_customer_is_exported(self, client, sent):
        customer = sent["customers"][0]  # the email customer
        test_send = archive_record_create(
            content=b"Test text",
            content_type="text/plain",
            message=None,
            version=sent["version"],
            channel="sms",
            locale="en",
            recipient="+447700900999",
            data=SAMPLE,
            customer=customer,
            is_test=True,
        )
        login(client, "compliance_officer")
        # The search itself shows no SMS for this customer; the subject access export
        # ignores the other criteria.
        response = client.get(
            reverse("compliance:entry_list"), {"q": customer.external_id, "channel": "sms"}
        )
        assert list(response.context["page"]) == []
        page = response.content.decode()
        assert f"Export everything for this customer ({customer.external_id})" in page

        response = client.post(
            _search_export_url(q=customer.external_id, channel="sms"),
            {"reason": "Subject access request 12", "scope": "customer"},
        )
        with _zip(response) as archive:
            artifacts = [n for n in archive.namelist() if n.startswith("artifacts/")]
        assert artifacts == [f"artifacts/{sent['email'].pk}.eml"]
        assert f"artifacts/{test_send.pk}.txt" not in artifacts
        log = AccessLog.objects.get(action=AccessLog.Action.EXPORT)
        assert log.reason == "Subject access request 12"
        assert log.query["subject_access"] == customer.external_id

    def test_it_is_offered_only_when_the_search_names_a_customer(self, client, sent):
        login(client, "compliance_officer")
        page = client.get(reverse("compliance:entry_list"), {"q": "alex.jones@"}).content.decode()
        assert "Export everything for this customer" not in page
        response = client.post(
            _search_export_url(q="alex.jones@"), {"reason": "SAR", "scope": "customer"}
        )
        assert response.status_code == 400
        assert "The search does not name a customer." in response.content.decode()
        assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


class EntryExportTests:
    def test_one_entry_is_exported_from_its_page(self, client, sent):
        officer = login(client, "compliance_officer")
        entry = sent["print"]
        page = client.get(reverse("compliance:entry_detail", args=[entry.pk])).content.decode()
        assert f'action="{reverse("compliance:entry_export", args=[entry.pk])}"' in page
        response = client.post(
            reverse("compliance:entry_export", args=[entry.pk]), {"reason": "Court order 3"}
        )
        with _zip(response) as archive:
            assert [n for n in archive.namelist() if n.startswith("artifacts/")] == [
                f"artifacts/{entry.pk}.pdf"
            ]
            assert archive.read(f"artifacts/{entry.pk}.pdf") == _stored(entry)
            assert b"Court order 3" in archive.read("manifest.json")
        log = AccessLog.objects.get(action=AccessLog.Action.EXPORT)
        assert (log.actor, log.reason, log.query["entries"]) == (
            officer,
            "Court order 3",
            [entry.pk],
        )

    def test_an_empty_reason_shows_the_entry_again_with_the_error(self, client, sent):
        login(client, "compliance_officer")
        entry = sent["sms"]
        response = client.post(reverse("compliance:entry_export", args=[entry.pk]), {"reason": ""})
        assert response.status_code == 400
        page = response.content.decode()
        assert '<details class="panel" id="evidence-export" open>' in page
        assert "Give a reason: it is recorded." in page
        assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()

    def test_an_auditor_sees_no_export_and_is_refused(self, client, sent):
        login(client, "auditor")
        entry = sent["email"]
        page = client.get(reverse("compliance:entry_detail", args=[entry.pk])).content.decode()
        assert 'id="evidence-export"' not in page
        response = client.post(
            reverse("compliance:entry_export", args=[entry.pk]), {"reason": "Curious"}
        )
        assert response.status_code == 403
        assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()

    @pytest.mark.parametrize("role", ["operator", "designer"])
    def test_other_roles_are_refused(self, client, role, sent):
        login(client, role)
        url = reverse("compliance:entry_export", args=[sent["email"].pk])
        assert client.post(url, {"reason": "x"}).status_code == 403


class MissingArtifactExportTests:
    def test_an_export_with_a_missing_artifact_is_refused_and_says_why(self, client, sent):
        storages["archive"].delete(sent["sms"].artifact_name)
        login(client, "compliance_officer")
        for response in (
            client.post(reverse("compliance:entry_export", args=[sent["sms"].pk]), {"reason": "A"}),
            client.post(_search_export_url(batch=sent["batch"].pk), {"reason": "B"}),
        ):
            assert response.status_code == 409
            assert "An artifact is missing from the archive storage" in response.content.decode()
        assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()
