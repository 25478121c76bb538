"""API clients apart: a client is the user that owns the API tokens (or uploaded in the
UI); another client's batches, messages and webhooks answer 404 and are left out of
lists. Roles that span clients are declared in ``ccm.roles``. Every API read of
recipients leaves an entry in the compliance access log."""

import smtplib
from importlib import import_module
from unittest import mock

import pytest
from django.apps import apps as django_apps
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone
from rest_framework.test import APIClient

from ccm.roles import AUDITOR, COMPLIANCE_OFFICER, CROSS_CLIENT_ROLES, OPERATOR
from ccm.services import api_token_create
from channels.models import Batch, Message, WebhookDelivery, WebhookEndpoint
from channels.services import message_create
from compliance.models import AccessLog
from tests.factories.ccm import UserFactory
from tests.factories.channels import scheduled_batch
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db


def token_client(user):
    _, secret = api_token_create(user=user, name=f"{user.username} system")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def first():
    return UserFactory(roles=[OPERATOR])


@pytest.fixture
def second():
    return UserFactory(roles=[OPERATOR])


class BatchOwnershipTests:
    def test_a_client_lists_only_its_own_batches(self, first, second):
        mine = scheduled_batch(second)
        scheduled_batch(first)
        response = token_client(second).get("/api/batches")
        assert response.status_code == 200
        assert [b["id"] for b in response.data["results"]] == [mine.pk]

    def test_another_clients_batch_is_not_found(self, first, second):
        batch = scheduled_batch(first)
        response = token_client(second).get(f"/api/batches/{batch.pk}")
        assert response.status_code == 404
        assert token_client(first).get(f"/api/batches/{batch.pk}").status_code == 200

    def test_another_clients_batch_messages_are_not_found(self, first, second):
        batch = scheduled_batch(first)
        response = token_client(second).get(f"/api/batches/{batch.pk}/messages")
        assert response.status_code == 404
        assert b"ana@example.com" not in response.content

    def test_another_clients_message_is_not_found(self, first, second):
        message = scheduled_batch(first).messages.get()
        response = token_client(second).get(f"/api/messages/{message.pk}")
        assert response.status_code == 404
        assert b"ana@example.com" not in response.content
        assert token_client(first).get(f"/api/messages/{message.pk}").status_code == 200

    def test_another_clients_real_time_message_is_not_found(self, first, second):
        message = message_create(
            communication=published_version().communication,
            row={"email": "ana@example.com", "data": SAMPLE},
            requested_by=first,
        )
        assert token_client(second).get(f"/api/messages/{message.pk}").status_code == 404
        assert token_client(first).get(f"/api/messages/{message.pk}").status_code == 200

    def test_another_client_cannot_cancel_a_scheduled_batch(self, first, second):
        batch = scheduled_batch(first)
        response = token_client(second).post(f"/api/batches/{batch.pk}/cancel")
        assert response.status_code == 404
        batch.refresh_from_db()
        assert batch.status == Batch.Status.QUEUED
        assert batch.messages.get().status == Message.Status.QUEUED

    def test_the_owner_cancels_its_own_batch(self, first):
        batch = scheduled_batch(first)
        response = token_client(first).post(f"/api/batches/{batch.pk}/cancel")
        assert response.status_code == 200
        assert response.data["status"] == Batch.Status.CANCELLED

    def test_two_tokens_of_one_user_are_one_client(self, first):
        batch = scheduled_batch(first)
        assert token_client(first).get(f"/api/batches/{batch.pk}").status_code == 200
        assert token_client(first).get(f"/api/batches/{batch.pk}/messages").status_code == 200

    def test_a_ui_upload_belongs_to_the_person_who_uploaded_it(self, first, second):
        batch = scheduled_batch(first)
        Batch.objects.filter(pk=batch.pk).update(source="upload")
        assert token_client(first).get(f"/api/batches/{batch.pk}").status_code == 200
        assert token_client(second).get(f"/api/batches/{batch.pk}").status_code == 404


class CrossClientRoleTests:
    def test_only_auditors_and_compliance_officers_span_clients(self):
        assert sorted(CROSS_CLIENT_ROLES) == [AUDITOR, COMPLIANCE_OFFICER]

    @pytest.mark.parametrize("role", [AUDITOR, COMPLIANCE_OFFICER])
    def test_auditors_and_compliance_officers_read_every_clients_batches(self, first, role):
        batch = scheduled_batch(first)
        message = batch.messages.get()
        reader = token_client(UserFactory(roles=[role]))
        assert [b["id"] for b in reader.get("/api/batches").data["results"]] == [batch.pk]
        assert reader.get(f"/api/batches/{batch.pk}").status_code == 200
        assert reader.get(f"/api/batches/{batch.pk}/messages").status_code == 200
        assert reader.get(f"/api/messages/{message.pk}").status_code == 200

    @pytest.mark.parametrize("role", [AUDITOR, COMPLIANCE_OFFICER])
    def test_reading_every_client_does_not_let_them_cancel(self, first, role):
        batch = scheduled_batch(first)
        reader = token_client(UserFactory(roles=[role]))
        assert reader.post(f"/api/batches/{batch.pk}/cancel").status_code == 403
        batch.refresh_from_db()
        assert batch.status == Batch.Status.QUEUED

    def test_a_superuser_reads_and_cancels_every_clients_batches(self, first):
        batch = scheduled_batch(first)
        admin = token_client(UserFactory(is_superuser=True))
        assert admin.get(f"/api/batches/{batch.pk}").status_code == 200
        assert admin.post(f"/api/batches/{batch.pk}/cancel").status_code == 200

    def test_webhooks_stay_the_callers_own_even_for_an_auditor(self, first):
        endpoint = WebhookEndpoint.objects.create(
            owner=first, url="https://first.example.com/hook", secret="whsec_x"
        )
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id="evt_1",
            event_type="message.sent",
            payload={},
            next_attempt_at=timezone.now(),
        )
        auditor = token_client(UserFactory(roles=[AUDITOR]))
        assert auditor.get("/api/webhooks/endpoints").data == []
        assert auditor.get("/api/webhooks/deliveries").data["results"] == []


class WebhookOwnershipTests:
    def test_a_client_sees_and_retries_only_its_own_webhooks(self, first, second):
        endpoint = WebhookEndpoint.objects.create(
            owner=first, url="https://first.example.com/hook", secret="whsec_x"
        )
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id="evt_1",
            event_type="message.sent",
            payload={},
            status=WebhookDelivery.Status.DEAD,
            next_attempt_at=timezone.now(),
        )
        other = token_client(second)
        assert other.get("/api/webhooks/endpoints").data == []
        assert other.get("/api/webhooks/deliveries").data["results"] == []
        assert other.post(f"/api/webhooks/deliveries/{delivery.pk}/retry").status_code == 404
        delivery.refresh_from_db()
        assert delivery.status == WebhookDelivery.Status.DEAD
        owner = token_client(first)
        assert [e["id"] for e in owner.get("/api/webhooks/endpoints").data] == [endpoint.pk]
        assert owner.post(f"/api/webhooks/deliveries/{delivery.pk}/retry").status_code == 200


class RecipientReadAccessLogTests:
    def test_an_auditor_reading_a_batchs_messages_is_logged(self, first):
        batch = scheduled_batch(first)
        message = batch.messages.get()
        auditor = UserFactory(roles=[AUDITOR])
        before = timezone.now()
        response = token_client(auditor).get(f"/api/batches/{batch.pk}/messages")
        assert response.status_code == 200
        assert response.data["results"][0]["recipient"] == "ana@example.com"
        log = AccessLog.objects.get()
        assert log.actor == auditor
        assert log.action == AccessLog.Action.VIEW
        assert log.query["api"] == f"GET /api/batches/{batch.pk}/messages"
        assert log.query["batch"] == batch.pk
        assert log.query["messages"] == [message.pk]
        assert before <= log.at <= timezone.now()

    def test_the_status_filter_is_in_the_log(self, first):
        batch = scheduled_batch(first)
        token_client(first).get(f"/api/batches/{batch.pk}/messages?status=queued")
        assert AccessLog.objects.get().query["status"] == "queued"

    def test_reading_one_message_is_logged_for_any_role(self, first):
        message = scheduled_batch(first).messages.get()
        token_client(first).get(f"/api/messages/{message.pk}")
        log = AccessLog.objects.get()
        assert log.actor == first
        assert log.query == {
            "api": f"GET /api/messages/{message.pk}",
            "batch": message.batch_id,
            "messages": [message.pk],
        }

    def test_the_answer_to_a_real_time_message_is_logged(self, first):
        customer = CustomerFactory(channel_preference=["email"])
        response = token_client(first).post(
            "/api/messages",
            {
                "communication": published_version().communication.key,
                "recipient": {"customer_id": customer.external_id, "data": SAMPLE},
            },
            format="json",
        )
        assert response.status_code == 202
        assert response.data["recipient"] == customer.email
        log = AccessLog.objects.get()
        assert (log.actor, log.query) == (
            first,
            {"api": "POST /api/messages", "messages": [response.data["id"]]},
        )

    def test_a_refused_read_leaves_no_entry_and_shows_nothing(self, first, second):
        batch = scheduled_batch(first)
        token_client(second).get(f"/api/batches/{batch.pk}/messages")
        token_client(second).get(f"/api/messages/{batch.messages.get().pk}")
        assert not AccessLog.objects.exists()


class FallbackOwnerTests:
    def test_the_letter_after_a_bounced_real_time_email_belongs_to_the_requester(
        self, first, django_capture_on_commit_callbacks
    ):
        customer = CustomerFactory(channel_preference=["email", "print"])

        def refuse(self, messages):
            raise smtplib.SMTPRecipientsRefused({customer.email: (550, b"mailbox unavailable")})

        with (
            mock.patch.object(LocmemBackend, "send_messages", refuse),
            django_capture_on_commit_callbacks(execute=True),
        ):
            message_create(
                communication=published_version().communication,
                row={"customer_id": customer.external_id, "data": SAMPLE},
                requested_by=first,
            )
        letter = Message.objects.get(channel="print")
        assert letter.requested_by == first
        assert token_client(first).get(f"/api/messages/{letter.pk}").status_code == 200

    def test_the_migration_gives_existing_fallbacks_their_requester(self, first):
        migration = import_module("channels.migrations.0010_message_owner_and_client_permissions")
        original = message_create(
            communication=published_version().communication,
            row={"email": "ana@example.com", "data": SAMPLE},
            requested_by=first,
        )
        fallback = Message.objects.create(
            version=original.version,
            channel="sms",
            locale="en",
            recipient="+15550100",
            fallback_of=original,
        )
        second_fallback = Message.objects.create(
            version=original.version,
            channel="print",
            locale="en",
            recipient="1 Main St",
            fallback_of=fallback,
        )
        migration.fallback_requesters_fill(django_apps, None)
        fallback.refresh_from_db()
        second_fallback.refresh_from_db()
        assert fallback.requested_by == first
        assert second_fallback.requested_by == first
