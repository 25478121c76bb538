import base64

import pytest
from django.core import mail

from channels import services
from channels.models import DeliveryEvent, Message
from channels.services.events import delivery_event_record
from customers.models import Consent, Suppression
from customers.services import consent_set
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_email(django_capture_on_commit_callbacks):
    version = published_version()
    customer = CustomerFactory(channel_preference=["email", "sms"])
    consent_set(customer=customer, category="marketing", granted=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_create(
            communication=version.communication,
            rows=[{"customer_id": customer.external_id, "data": SAMPLE}],
            created_by=UserFactory(),
        )
    message = Message.objects.get()
    Message.objects.filter(pk=message.pk).update(provider_message_id="pm-123")
    message.refresh_from_db()
    assert message.status == "sent" and len(mail.outbox) == 1
    return message


def _postmark(client, settings, payload):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    auth = base64.b64encode(b"hook:s3cret").decode()
    return client.post(
        "/anymail/postmark/tracking/",
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


class AnymailTrackingTests:
    def test_a_delivery_is_recorded(self, client, settings, sent_email):
        response = _postmark(
            client,
            settings,
            {
                "RecordType": "Delivery",
                "MessageID": "pm-123",
                "Recipient": sent_email.recipient,
                "DeliveredAt": "2026-11-23T10:00:00Z",
            },
        )
        assert response.status_code == 200
        sent_email.refresh_from_db()
        assert sent_email.status == "delivered"
        assert DeliveryEvent.objects.filter(message=sent_email, kind="delivered").exists()

    def test_a_hard_bounce_suppresses_the_address_and_falls_back(
        self, client, settings, sent_email, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = _postmark(
                client,
                settings,
                {
                    "RecordType": "Bounce",
                    "MessageID": "pm-123",
                    "Type": "HardBounce",
                    "TypeCode": 1,
                    "Email": sent_email.recipient,
                    "Description": "Unknown user",
                    "BouncedAt": "2026-11-23T10:00:00Z",
                },
            )
        assert response.status_code == 200
        sent_email.refresh_from_db()
        assert sent_email.status == "failed" and "bounced" in sent_email.last_error
        assert Suppression.objects.filter(channel="email", reason="hard_bounce").exists()
        fallback = Message.objects.get(fallback_of=sent_email)
        assert (fallback.channel, fallback.status) == ("sms", "sent")

    def test_a_complaint_suppresses_and_wrong_credentials_are_refused(
        self, client, settings, sent_email
    ):
        settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
        forged = client.post(
            "/anymail/postmark/tracking/",
            {"RecordType": "SpamComplaint", "MessageID": "pm-123"},
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"x:y").decode(),
        )
        assert forged.status_code == 401
        assert not Suppression.objects.exists()
        _postmark(
            client,
            settings,
            {
                "RecordType": "SpamComplaint",
                "MessageID": "pm-123",
                "Email": sent_email.recipient,
                "BouncedAt": "2026-11-23T10:00:00Z",
            },
        )
        assert Suppression.objects.get().reason == "complaint"


class UnsubscribeEventTests:
    def test_an_unsubscribe_withdraws_marketing_consent(self, sent_email):
        delivery_event_record(message=sent_email, kind="unsubscribed")
        assert (
            Consent.objects.get(customer=sent_email.customer, category="marketing").granted is False
        )
        assert Suppression.objects.get().reason == "unsubscribe"


class SmsDeliveryReportTests:
    def test_a_report_with_the_token_marks_the_sms_delivered(
        self, client, settings, django_capture_on_commit_callbacks
    ):
        settings.CCM_SMS_DLR_TOKEN = "dlr-token"
        version = published_version()
        customer = CustomerFactory(channel_preference=["sms"])
        with django_capture_on_commit_callbacks(execute=True):
            services.batch_create(
                communication=version.communication,
                rows=[{"customer_id": customer.external_id, "data": SAMPLE}],
                created_by=UserFactory(),
            )
        sms = Message.objects.get()
        assert (
            client.get(f"/webhooks/sms/dlr/wrong/?reference={sms.message_id}&status=1").status_code
            == 404
        )
        assert (
            client.get(
                f"/webhooks/sms/dlr/dlr-token/?reference={sms.message_id}&status=9"
            ).status_code
            == 400
        )
        response = client.get(
            "/webhooks/sms/dlr/dlr-token/", {"reference": sms.message_id, "status": "1"}
        )
        assert response.status_code == 200
        sms.refresh_from_db()
        assert sms.status == "delivered"
