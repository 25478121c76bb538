import hashlib
import json

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance import audit_views
from compliance.models import AccessLog, Seal
from compliance.services import archive_record_create, archive_seal
from tests.factories.ccm import UserFactory

pytestmark = pytest.mark.django_db


def login(client, role: str):
    user = UserFactory(roles=[role])
    client.force_login(user)
    return user


@pytest.fixture
def sealed(sent):
    """The sent batch, sealed (seal 1)."""
    first = archive_seal(settle_seconds=0)
    return {**sent, "seal": first}


class IntegrityPageTests:
    @pytest.mark.parametrize("role", ["compliance_officer", "auditor"])
    def test_it_lists_the_seals(self, client, role, sealed):
        login(client, role)
        response = client.get(reverse("compliance:integrity"))
        assert response.status_code == 200
        seal = sealed["seal"]
        page = response.content.decode()
        assert f"<td>{seal.first_entry_id} \N{EN DASH} {seal.last_entry_id}</td>" in page
        assert f"<td>{seal.entry_count}</td>" in page
        assert seal.merkle_root in page and seal.seal_hash in page
        assert reverse("compliance:integrity_verify") in page
        assert not AccessLog.objects.exists()

    def test_an_empty_archive_says_nothing_is_sealed(self, client):
        login(client, "auditor")
        page = client.get(reverse("compliance:integrity")).content.decode()
        assert "Nothing has been sealed yet." in page

    @pytest.mark.parametrize("role", ["operator", "designer"])
    def test_other_roles_are_refused(self, client, role):
        login(client, role)
        assert client.get(reverse("compliance:integrity")).status_code == 403
        assert client.post(reverse("compliance:integrity_verify")).status_code == 403
        assert client.get(reverse("compliance:seal_export")).status_code == 403
        assert not AccessLog.objects.exists()


class VerifyTests:
    @pytest.mark.parametrize("role", ["compliance_officer", "auditor"])
    def test_verify_now_reports_an_intact_archive_and_is_recorded(self, client, role, sealed):
        user = login(client, role)
        response = client.post(reverse("compliance:integrity_verify"))
        assert response.status_code == 200
        assert response.context["report"].ok
        page = response.content.decode()
        assert (
            "Verified: OK. Seals checked: 1. Entries whose row and artifact match: 3. "
            "Purged entries that match their tombstones: 0."
        ) in page
        log = AccessLog.objects.get()
        assert (log.actor, log.action) == (user, AccessLog.Action.SEARCH)
        assert log.query == {"verify": True, "ok": True, "problems": 0}

    def test_every_problem_is_shown(self, client, sealed):
        storage = storages["archive"]
        altered, missing = sealed["sms"], sealed["email"]
        with open(storage.path(altered.artifact_name), "wb") as fh:
            fh.write(b"altered")
        storage.delete(missing.artifact_name)
        login(client, "auditor")
        response = client.post(reverse("compliance:integrity_verify"))
        page = response.content.decode()
        assert "Verified: 2 problems found." in page
        problems = page.split('<ul id="verify-problems">', 1)[1].split("</ul>", 1)[0]
        assert f"entry {altered.pk}: artifact {altered.artifact_name} does not match" in problems
        assert f"entry {missing.pk}: artifact {missing.artifact_name} is missing" in problems
        assert "Verified: OK" not in page
        assert AccessLog.objects.get().query == {"verify": True, "ok": False, "problems": 2}

    def test_verify_is_a_post(self, client):
        login(client, "auditor")
        assert client.get(reverse("compliance:integrity_verify")).status_code == 405


class SealExportTests:
    def test_a_third_party_can_check_the_chain_from_the_download(self, client, sealed):
        archive_record_create(
            content=b"later",
            content_type="text/plain",
            message=None,
            version=sealed["version"],
            channel="sms",
            locale="en",
            recipient="+447700900111",
            data={},
        )
        archive_seal(settle_seconds=0)
        user = login(client, "auditor")
        response = client.get(reverse("compliance:seal_export"))
        assert response.status_code == 200
        log = AccessLog.objects.get(actor=user)
        assert (log.action, log.query) == (AccessLog.Action.EXPORT, {"seals": 2})
        assert response["Content-Type"] == "application/json"
        assert response["Content-Disposition"].startswith('attachment; filename="seals-')
        document = json.loads(response.content)
        assert "previous_seal_hash" in document["rule"]
        seals = document["seals"]
        assert [s["sequence"] for s in seals] == [1, 2]
        assert set(seals[0]) == {
            "sequence",
            "first_entry_id",
            "last_entry_id",
            "entry_count",
            "merkle_root",
            "previous_seal_hash",
            "seal_hash",
            "created_at",
        }
        # Recomputed from the download alone, with nothing from the platform.
        previous = "0" * 64
        for s in seals:
            assert s["previous_seal_hash"] == previous
            payload = "|".join(
                str(s[k])
                for k in (
                    "sequence",
                    "first_entry_id",
                    "last_entry_id",
                    "entry_count",
                    "merkle_root",
                    "previous_seal_hash",
                    "created_at",
                )
            )
            assert hashlib.sha256(payload.encode()).hexdigest() == s["seal_hash"]
            previous = s["seal_hash"]
        assert seals[-1]["seal_hash"] == Seal.objects.get(sequence=2).seal_hash


class AccessLogTests:
    def test_an_auditor_sees_who_looked_at_what_and_filters_by_person(self, client, sent):
        officer = login(client, "compliance_officer")
        client.get(reverse("compliance:entry_list"), {"q": "alex"})
        client.get(reverse("compliance:entry_detail", args=[sent["email"].pk]))
        auditor = login(client, "auditor")
        client.get(reverse("compliance:entry_list"))

        response = client.get(reverse("compliance:access_log"))
        assert response.status_code == 200
        assert len(response.context["page"]) == 3
        assert set(response.context["actors"]) == {officer, auditor}

        response = client.get(reverse("compliance:access_log"), {"actor": officer.pk})
        logs = list(response.context["page"])
        assert [(log.action, log.entry_id) for log in logs] == [
            ("view", sent["email"].pk),
            ("search", None),
        ]
        page = response.content.decode()
        assert officer.username in page and "<code>q=alex</code>" in page
        assert reverse("compliance:entry_detail", args=[sent["email"].pk]) in page

        response = client.get(reverse("compliance:access_log"), {"action": "search"})
        assert {log.action for log in response.context["page"]} == {"search"}

    def test_the_log_pages_older_and_newer_without_counting_it(self, client, monkeypatch):
        monkeypatch.setattr(audit_views, "PAGE_SIZE", 4)
        login(client, "auditor")
        officer = UserFactory(username="officer")
        AccessLog.objects.bulk_create(
            AccessLog(actor=officer, action="search", query={"n": n}) for n in range(10)
        )
        url = reverse("compliance:access_log")

        def numbers(response):
            return [log.query["n"] for log in response.context["page"]]

        with CaptureQueriesContext(connection) as queries:
            newest = client.get(url, {"actor": officer.pk})
        assert not any("COUNT(" in q["sql"] for q in queries.captured_queries)
        assert numbers(newest) == [9, 8, 7, 6] and not newest.context["page"].newer
        second = client.get(url, {"actor": officer.pk, "older": newest.context["page"].older})
        last = client.get(url, {"actor": officer.pk, "older": second.context["page"].older})
        assert numbers(second) == [5, 4, 3, 2]
        assert numbers(last) == [1, 0] and not last.context["page"].older
        back = client.get(url, {"actor": officer.pk, "newer": last.context["page"].newer})
        assert numbers(back) == [5, 4, 3, 2]
        assert f"older={second.context['page'].older}" in second.content.decode()
        # A cursor that cannot be read gives the newest page.
        assert numbers(client.get(url, {"older": "not-a-cursor"})) == [9, 8, 7, 6]

    @pytest.mark.parametrize("role", ["compliance_officer", "operator", "designer", "approver"])
    def test_only_auditors_see_the_access_log(self, client, role):
        login(client, role)
        assert client.get(reverse("compliance:access_log")).status_code == 403
