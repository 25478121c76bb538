"""The ESP tracking webhooks (django-anymail, /anymail/<esp>/tracking/) answer only calls
with the webhook secret's basic auth, and an event reaches a message only by the provider
id recorded at send: a ``ccm_message_id`` in the event's metadata alone names nothing."""

import base64

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from channels import services
from channels.models import DeliveryEvent, Message
from customers.models import Suppression
from customers.services import consent_set
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db

SECRET = "hook:s3cret"
SENDGRID = "/anymail/sendgrid/tracking/"
POSTMARK = "/anymail/postmark/tracking/"


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
    Message.objects.filter(pk=message.pk).update(provider_message_id="sg-anymail-id-1")
    message.refresh_from_db()
    assert message.status == "sent" and len(mail.outbox) == 1
    return message


def _forged_sendgrid(message: Message, **extra) -> list[dict]:
    """The tester's payload: SendGrid's event shape, naming the message by metadata only."""
    common = {
        "email": message.recipient,
        "timestamp": 1765152000,
        "ccm_message_id": str(message.pk),
        **extra,
    }
    return [
        {"event": "spamreport", "sg_event_id": "e1", "sg_message_id": "x", **common},
        {
            "event": "bounce",
            "type": "bounce",
            "sg_event_id": "e2",
            "sg_message_id": "y",
            "reason": "550",
            **common,
        },
    ]


def _post(client, url, payload, auth=None):
    headers = {}
    if auth is not None:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    return client.post(url, payload, content_type="application/json", **headers)


def _unchanged(message: Message) -> None:
    message.refresh_from_db()
    assert message.status == "sent"
    assert list(DeliveryEvent.objects.filter(message=message).values_list("kind", flat=True)) == [
        "sent"
    ]
    assert not Suppression.objects.exists()
    assert not Message.objects.filter(fallback_of=message).exists()


class UnauthenticatedWebhookTests:
    def test_without_a_configured_secret_every_call_is_refused(
        self, client, settings, sent_email, django_capture_on_commit_callbacks
    ):
        settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
        with django_capture_on_commit_callbacks(execute=True):
            response = _post(client, SENDGRID, _forged_sendgrid(sent_email))
            also = _post(client, SENDGRID, _forged_sendgrid(sent_email), auth="any:thing")
        assert (response.status_code, also.status_code) == (404, 404)
        _unchanged(sent_email)

    @pytest.mark.parametrize("auth", [None, "hook:wrong", "hook:s3cret2", ""])
    def test_a_call_without_the_secret_gets_401_and_changes_nothing(
        self, client, settings, sent_email, django_capture_on_commit_callbacks, auth
    ):
        settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
        with django_capture_on_commit_callbacks(execute=True):
            response = _post(client, SENDGRID, _forged_sendgrid(sent_email), auth=auth)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Basic")
        _unchanged(sent_email)

    def test_every_anymail_route_is_guarded(self, client, settings):
        settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
        for url in [POSTMARK, "/anymail/mailgun/tracking/", "/anymail/postmark/inbound/"]:
            assert _post(client, url, {}).status_code == 401, url
            assert client.head(url).status_code == 401, url


class AuthenticatedWebhookTests:
    @pytest.fixture(autouse=True)
    def _secret(self, settings):
        settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}

    def test_an_event_with_the_recorded_provider_id_is_processed(
        self, client, sent_email, django_capture_on_commit_callbacks
    ):
        payload = [
            {
                "event": "bounce",
                "type": "bounce",
                "email": sent_email.recipient,
                "timestamp": 1765152000,
                "sg_event_id": "e3",
                "anymail_id": "sg-anymail-id-1",
                "reason": "550 unknown user",
            }
        ]
        with django_capture_on_commit_callbacks(execute=True):
            response = _post(client, SENDGRID, payload, auth=SECRET)
        assert response.status_code == 200
        sent_email.refresh_from_db()
        assert sent_email.status == "failed"
        assert Suppression.objects.filter(channel="email", reason="hard_bounce").exists()

    def test_one_of_several_secrets_is_accepted(self, client, settings, sent_email):
        settings.ANYMAIL = {"WEBHOOK_SECRET": ["old:secret", SECRET]}
        payload = {
            "RecordType": "Delivery",
            "MessageID": "sg-anymail-id-1",
            "Recipient": sent_email.recipient,
            "DeliveredAt": "2026-11-23T10:00:00Z",
        }
        assert _post(client, POSTMARK, payload, auth=SECRET).status_code == 200
        sent_email.refresh_from_db()
        assert sent_email.status == "delivered"

    def test_a_forged_ccm_message_id_is_ignored(
        self, client, sent_email, django_capture_on_commit_callbacks
    ):
        # Authenticated (a leaked secret, or a second account at the same ESP), the right
        # recipient, but a provider id that is not the one recorded for that message.
        with django_capture_on_commit_callbacks(execute=True):
            plain = _post(client, SENDGRID, _forged_sendgrid(sent_email), auth=SECRET)
            other = _post(
                client,
                SENDGRID,
                _forged_sendgrid(sent_email, anymail_id="someone-elses-id"),
                auth=SECRET,
            )
        assert (plain.status_code, other.status_code) == (200, 200)
        _unchanged(sent_email)

    def test_a_provider_id_with_another_recipient_is_ignored(self, client, sent_email):
        payload = {
            "RecordType": "Bounce",
            "MessageID": "sg-anymail-id-1",
            "Type": "HardBounce",
            "TypeCode": 1,
            "Email": "someone.else@example.com",
            "BouncedAt": "2026-11-23T10:00:00Z",
        }
        assert _post(client, POSTMARK, payload, auth=SECRET).status_code == 200
        _unchanged(sent_email)

    def test_before_the_send_is_recorded_the_metadata_id_needs_the_recipient(
        self, client, sent_email
    ):
        Message.objects.filter(pk=sent_email.pk).update(provider_message_id="")
        event = {
            "event": "delivered",
            "timestamp": 1765152000,
            "sg_event_id": "e4",
            "ccm_message_id": str(sent_email.pk),
        }
        wrong = _post(client, SENDGRID, [{**event, "email": "x@example.com"}], auth=SECRET)
        assert wrong.status_code == 200
        sent_email.refresh_from_db()
        assert sent_email.status == "sent"
        right = _post(client, SENDGRID, [{**event, "email": sent_email.recipient}], auth=SECRET)
        assert right.status_code == 200
        sent_email.refresh_from_db()
        assert sent_email.status == "delivered"


class WebhookSecretCheckTests:
    def test_an_esp_backend_without_a_webhook_secret_fails_the_deploy_check(self, settings):
        settings.EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
        settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
        with pytest.raises(SystemCheckError, match=r"ccm\.E101"):
            call_command("check", "--deploy", "--tag", "security")

    def test_with_a_secret_or_with_smtp_the_check_passes(self, settings):
        settings.EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
        settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
        from channels.checks import webhook_secret_check

        assert webhook_secret_check(None) == []
        settings.EMAIL_BACKEND = "channels.backends.email.SmtpBackend"
        settings.ANYMAIL = {}
        assert webhook_secret_check(None) == []
