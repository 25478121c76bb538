"""The batch pages keep clients apart as the API does: a person sees, polls and cancels
only the batches of their own client (the batches they uploaded or their tokens sent);
another client's batch answers 404 and is left out of the list, unless the role spans
clients (``ccm.roles``). A page that shows recipients leaves an access-log entry."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ccm.roles import AUDITOR, COMPLIANCE_OFFICER, OPERATOR
from channels.models import Batch
from compliance.models import AccessLog
from tests.factories.ccm import UserFactory
from tests.factories.channels import scheduled_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def first():
    return UserFactory(roles=[OPERATOR])


@pytest.fixture
def second():
    return UserFactory(roles=[OPERATOR])


class BatchPageOwnershipTests:
    def test_the_list_shows_only_the_operators_own_batches(self, client, first, second):
        mine, theirs = scheduled_batch(second), scheduled_batch(first)
        client.force_login(second)
        response = client.get(reverse("channels:batch_list"))
        assert response.status_code == 200
        assert [b.pk for b in response.context["page"]] == [mine.pk]
        assert reverse("channels:batch_detail", args=[theirs.pk]) not in response.content.decode()

    def test_another_operators_batch_is_not_found(self, client, first, second):
        batch = scheduled_batch(first)
        client.force_login(second)
        response = client.get(reverse("channels:batch_detail", args=[batch.pk]))
        assert response.status_code == 404
        assert b"ana@example.com" not in response.content

    def test_another_operators_progress_fragment_is_not_found(self, client, first, second):
        batch = scheduled_batch(first)
        client.force_login(second)
        url = reverse("channels:batch_progress", args=[batch.pk])
        assert client.get(url, {"polling": "1"}, HTTP_HX_REQUEST="true").status_code == 404

    def test_another_operator_cannot_cancel_a_batch(self, client, first, second):
        batch = scheduled_batch(first)
        client.force_login(second)
        assert client.post(reverse("channels:batch_cancel", args=[batch.pk])).status_code == 404
        batch.refresh_from_db()
        assert batch.status == Batch.Status.QUEUED
        assert set(batch.messages.values_list("status", flat=True)) == {"queued"}

    def test_the_owner_sees_and_cancels_its_own_batch(self, client, first):
        batch = scheduled_batch(first)
        client.force_login(first)
        response = client.get(reverse("channels:batch_detail", args=[batch.pk]))
        assert response.status_code == 200 and b"ana@example.com" in response.content
        response = client.post(reverse("channels:batch_cancel", args=[batch.pk]))
        assert response.status_code == 302
        batch.refresh_from_db()
        assert batch.status == Batch.Status.CANCELLED

    @pytest.mark.parametrize("role", [AUDITOR, COMPLIANCE_OFFICER])
    def test_auditors_and_compliance_officers_see_every_clients_batches(self, client, first, role):
        batch = scheduled_batch(first)
        client.force_login(UserFactory(roles=[role]))
        listed = client.get(reverse("channels:batch_list")).context["page"]
        assert batch.pk in [b.pk for b in listed]
        assert client.get(reverse("channels:batch_detail", args=[batch.pk])).status_code == 200
        assert client.get(reverse("channels:batch_progress", args=[batch.pk])).status_code == 200

    def test_a_superuser_sees_and_cancels_every_clients_batches(self, client, first):
        batch = scheduled_batch(first)
        client.force_login(UserFactory(is_superuser=True))
        assert client.get(reverse("channels:batch_detail", args=[batch.pk])).status_code == 200
        assert client.post(reverse("channels:batch_cancel", args=[batch.pk])).status_code == 302
        batch.refresh_from_db()
        assert batch.status == Batch.Status.CANCELLED


class BatchPageAccessLogTests:
    def test_the_batch_page_showing_recipients_is_logged(self, client, first):
        batch = scheduled_batch(first)
        message = batch.messages.get()
        auditor = UserFactory(roles=[AUDITOR])
        client.force_login(auditor)
        before = timezone.now()
        response = client.get(reverse("channels:batch_detail", args=[batch.pk]))
        assert b"ana@example.com" in response.content
        log = AccessLog.objects.get()
        assert (log.actor, log.action) == (auditor, AccessLog.Action.VIEW)
        assert log.query == {
            "api": f"GET /batches/{batch.pk}/",
            "batch": batch.pk,
            "messages": [message.pk],
        }
        assert before <= log.at <= timezone.now()

    def test_the_owners_read_and_the_status_filter_are_logged(self, client, first):
        batch = scheduled_batch(first)
        client.force_login(first)
        client.get(reverse("channels:batch_detail", args=[batch.pk]), {"status": "queued"})
        log = AccessLog.objects.get()
        assert (log.actor, log.query["status"]) == (first, "queued")

    def test_pages_without_recipients_and_refused_reads_leave_no_entry(self, client, first, second):
        batch = scheduled_batch(first)
        client.force_login(first)
        client.get(reverse("channels:batch_list"))
        client.get(reverse("channels:batch_progress", args=[batch.pk]))
        client.force_login(second)
        client.get(reverse("channels:batch_detail", args=[batch.pk]))
        assert not AccessLog.objects.exists()
