import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import AccessLog, LegalHold
from compliance.retention import legal_hold_create
from tests.factories.ccm import UserFactory

pytestmark = pytest.mark.django_db


def login(client, role: str):
    user = UserFactory(roles=[role])
    client.force_login(user)
    return user


URL = "compliance:hold_list"


def _place(client, **fields):
    data = {"customer": "", "batch": "", "communication": "", "date_from": "", "date_to": ""}
    return client.post(reverse("compliance:hold_create"), {**data, **fields})


class LegalHoldListTests:
    def test_an_officer_sees_every_hold_with_its_scope_and_status(self, client, sent):
        officer = login(client, "compliance_officer")
        customer = sent["customers"][0]
        active = legal_hold_create(owner=officer, reason="Litigation A", customer=customer)
        released = legal_hold_create(owner=officer, reason="Audit B", batch=sent["batch"])
        released.released_at, released.released_by = timezone.now(), officer
        released.save()
        response = client.get(reverse(URL))
        assert response.status_code == 200
        assert list(response.context["page"]) == [released, active]
        page = response.content.decode()
        assert f"{customer.external_id}" in page and "Litigation A" in page
        assert f"#{sent['batch'].pk}" in page and "Audit B" in page
        assert '<span class="badge running">active</span>' in page
        assert '<span class="badge">released</span>' in page
        assert 'id="hold-form"' in page
        assert reverse("compliance:hold_release", args=[active.pk]) in page
        assert reverse("compliance:hold_release", args=[released.pk]) not in page

    def test_an_auditor_sees_the_holds_but_cannot_place_or_release(self, client, sent):
        hold = legal_hold_create(
            owner=UserFactory(), reason="Litigation A", customer=sent["customers"][0]
        )
        login(client, "auditor")
        response = client.get(reverse(URL))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Litigation A" in page
        assert 'id="hold-form"' not in page
        assert reverse("compliance:hold_release", args=[hold.pk]) not in page
        assert (
            _place(client, customer=sent["customers"][0].external_id, reason="x").status_code == 403
        )
        response = client.post(reverse("compliance:hold_release", args=[hold.pk]), {"reason": "x"})
        assert response.status_code == 403
        hold.refresh_from_db()
        assert hold.is_active and LegalHold.objects.count() == 1

    @pytest.mark.parametrize("role", ["operator", "designer"])
    def test_other_roles_are_refused(self, client, role, sent):
        hold = legal_hold_create(owner=UserFactory(), reason="A", batch=sent["batch"])
        login(client, role)
        assert client.get(reverse(URL)).status_code == 403
        assert _place(client, batch=sent["batch"].pk, reason="x").status_code == 403
        response = client.post(reverse("compliance:hold_release", args=[hold.pk]), {"reason": "x"})
        assert response.status_code == 403

    def test_the_archive_search_page_links_to_holds_and_integrity(self, client):
        login(client, "auditor")
        page = client.get(reverse("compliance:entry_list")).content.decode()
        assert f'href="{reverse(URL)}"' in page
        assert f'href="{reverse("compliance:integrity")}"' in page


class LegalHoldPlaceTests:
    def test_a_hold_is_placed_by_customer_batch_communication_and_dates(self, client, sent):
        officer = login(client, "compliance_officer")
        customer = sent["customers"][1]
        communication = sent["version"].communication
        response = _place(
            client,
            customer=customer.external_id,
            batch=sent["batch"].pk,
            communication=communication.key,
            date_from="2026-01-01",
            date_to="2026-12-31",
            reason="Regulator inquiry 2026/4",
        )
        hold = LegalHold.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse(URL)
        assert (hold.customer, hold.batch, hold.communication) == (
            customer,
            sent["batch"],
            communication,
        )
        assert (hold.owner, hold.reason) == (officer, "Regulator inquiry 2026/4")
        local_from = timezone.localtime(hold.date_from)
        local_to = timezone.localtime(hold.date_to)
        assert (local_from.date(), local_from.time()) == (dt.date(2026, 1, 1), dt.time.min)
        assert (local_to.date(), local_to.time()) == (dt.date(2026, 12, 31), dt.time.max)
        log = AccessLog.objects.get(action=AccessLog.Action.HOLD)
        assert log.query == {"hold": hold.pk, "placed": True}
        page = client.get(reverse(URL)).content.decode()
        assert f"Legal hold #{hold.pk} placed." in page

    @pytest.mark.parametrize(
        ("fields", "field", "error"),
        [
            ({"customer": "C-NOBODY"}, "customer", "No customer has the id C-NOBODY."),
            ({"batch": "999999"}, "batch", "There is no batch #999999."),
            ({"communication": "no-such-key"}, "communication", "No communication has the key"),
            ({}, "__all__", "Name a customer, batch, communication or date range to hold."),
            (
                {"date_from": "2026-05-02", "date_to": "2026-05-01"},
                "date_to",
                "The end of the range is before its start.",
            ),
        ],
    )
    def test_a_hold_that_names_nothing_known_is_refused_with_the_reason(
        self, client, fields, field, error
    ):
        login(client, "compliance_officer")
        response = _place(client, reason="Litigation", **fields)
        assert response.status_code == 400
        errors = response.context["form"].errors[field]
        assert any(error in message for message in errors), errors
        assert error in response.content.decode()
        assert not LegalHold.objects.exists()

    def test_a_hold_needs_a_reason(self, client, sent):
        login(client, "compliance_officer")
        response = _place(client, batch=sent["batch"].pk, reason="  ")
        assert response.status_code == 400
        assert "Say why the communications are held." in response.content.decode()
        assert not LegalHold.objects.exists()


class LegalHoldReleaseTests:
    def test_an_officer_releases_a_hold_with_a_reason(self, client, sent):
        officer = login(client, "compliance_officer")
        hold = legal_hold_create(owner=UserFactory(), reason="Litigation", batch=sent["batch"])
        url = reverse("compliance:hold_release", args=[hold.pk])
        response = client.post(url, {"reason": "Case settled"})
        assert response.status_code == 302
        hold.refresh_from_db()
        assert not hold.is_active and hold.released_by == officer
        log = AccessLog.objects.filter(action=AccessLog.Action.HOLD).latest("id")
        assert (log.reason, log.query) == ("Case settled", {"hold": hold.pk, "released": True})
        page = client.get(reverse(URL)).content.decode()
        assert f"Legal hold #{hold.pk} released." in page
        assert officer.get_username() in page

        response = client.post(url, {"reason": "Again"}, follow=True)
        assert f"Legal hold #{hold.pk} is already released." in response.content.decode()
        assert AccessLog.objects.filter(action=AccessLog.Action.HOLD).count() == 2

    def test_a_release_needs_a_reason(self, client, sent):
        login(client, "compliance_officer")
        hold = legal_hold_create(owner=UserFactory(), reason="Litigation", batch=sent["batch"])
        response = client.post(reverse("compliance:hold_release", args=[hold.pk]), {"reason": ""})
        assert response.status_code == 400
        assert "Give a reason: it is recorded." in response.content.decode()
        hold.refresh_from_db()
        assert hold.is_active


class EntryRetentionTests:
    def test_the_entry_page_shows_when_it_expires_and_the_holds_that_keep_it(self, client, sent):
        officer = login(client, "compliance_officer")
        entry = sent["email"]
        url = reverse("compliance:entry_detail", args=[entry.pk])
        page = client.get(url).content.decode()
        assert entry.category == "transactional"  # kept six years (settings)
        expires = entry.created_at.replace(year=entry.created_at.year + 6)
        assert f"Kept until {timezone.localtime(expires):%Y-%m-%d}." in page
        assert "No legal hold applies." in page

        hold = legal_hold_create(owner=officer, reason="Complaint 9", customer=entry.customer)
        legal_hold_create(owner=officer, reason="Other customer", customer=sent["customers"][1])
        page = client.get(url).content.decode()
        assert f"On legal hold (hold #{hold.pk}: Complaint 9)." in page
        assert "Other customer" not in page

        hold.released_at, hold.released_by = timezone.now(), officer
        hold.save()
        assert "On legal hold" not in client.get(url).content.decode()
