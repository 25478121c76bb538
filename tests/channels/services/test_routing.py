import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from ccm.roles import COMPLIANCE_OFFICER
from channels import services
from channels.backends.sms import locmem as sms_outbox
from channels.models import DeliveryEvent, Message
from customers.models import Suppression
from customers.services import consent_set, suppression_add
from insight.timeline import customer_timeline
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, CommunicationFactory, published_version

pytestmark = pytest.mark.django_db


def _send(version, rows, capture):
    with capture(execute=True):
        return services.batch_create(
            communication=version.communication, rows=rows, created_by=UserFactory()
        )


class RoutingTests:
    def test_the_preferred_channel_with_a_contact_point_wins(
        self, django_capture_on_commit_callbacks
    ):
        version = published_version()
        no_email = CustomerFactory(email="", channel_preference=["email", "sms", "print"])
        _send(
            version,
            [{"customer_id": no_email.external_id, "data": SAMPLE}],
            django_capture_on_commit_callbacks,
        )
        assert Message.objects.get().channel == "sms"

    def test_inline_phone_numbers_are_stored_as_e164_and_bad_ones_reported(
        self, django_capture_on_commit_callbacks
    ):
        version = published_version()
        batch = _send(
            version,
            [
                {"phone": "+44 7911 123 456", "channel": "sms", "data": SAMPLE},
                {"phone": "0123", "channel": "sms", "data": SAMPLE},
            ],
            django_capture_on_commit_callbacks,
        )
        assert Message.objects.get().recipient == "+447911123456"
        batch.refresh_from_db()
        assert [(r["row"], r["field"]) for r in batch.rejected_rows] == [(2, "phone")]

    def test_marketing_without_consent_is_suppressed_not_sent(
        self, django_capture_on_commit_callbacks
    ):
        version = published_version(communication=CommunicationFactory(category="marketing"))
        consenting, silent = (
            CustomerFactory(channel_preference=["email"]),
            CustomerFactory(channel_preference=["email"]),
        )
        consent_set(customer=consenting, category="marketing", granted=True)
        batch = _send(
            version,
            [{"customer_id": c.external_id, "data": SAMPLE} for c in (consenting, silent)],
            django_capture_on_commit_callbacks,
        )
        assert len(mail.outbox) == 1
        suppressed = Message.objects.get(customer=silent)
        assert (suppressed.status, suppressed.last_error) == (
            "suppressed",
            "no consent to marketing",
        )
        batch.refresh_from_db()
        assert batch.status == "completed"

    def test_a_suppressed_address_moves_to_the_next_channel(
        self, django_capture_on_commit_callbacks
    ):
        version = published_version()
        customer = CustomerFactory(channel_preference=["email", "sms"])
        suppression_add(channel="email", address=customer.email.upper(), reason="complaint")
        _send(
            version,
            [{"customer_id": customer.external_id, "data": SAMPLE}],
            django_capture_on_commit_callbacks,
        )
        assert Message.objects.get().channel == "sms"
        assert len(sms_outbox.outbox) == 1 and not mail.outbox

    def test_a_hard_bounce_suppresses_the_address_and_falls_back_to_the_letter(
        self, django_capture_on_commit_callbacks
    ):
        version = published_version()
        customer = CustomerFactory(channel_preference=["email", "print"])

        def refuse(self, messages):
            raise smtplib.SMTPRecipientsRefused({customer.email: (550, b"mailbox unavailable")})

        with mock.patch.object(LocmemBackend, "send_messages", refuse):
            batch = _send(
                version,
                [{"customer_id": customer.external_id, "data": SAMPLE}],
                django_capture_on_commit_callbacks,
            )
        email_message = Message.objects.get(channel="email")
        letter = Message.objects.get(channel="print")
        assert email_message.status == "failed" and letter.status == "sent"
        assert letter.fallback_of == email_message
        assert (
            DeliveryEvent.objects.get(message=email_message, kind="fallback").detail["to_channel"]
            == "print"
        )
        assert Suppression.objects.filter(
            channel="email", address=customer.email.lower(), reason="hard_bounce"
        ).exists()
        batch.refresh_from_db()
        assert batch.status == "completed" and batch.print_files.count() == 1
        timeline = customer_timeline(
            customer=customer, viewer=UserFactory(roles=[COMPLIANCE_OFFICER])
        )
        assert [(t["channel"], t["status"]) for t in timeline] == [
            ("print", "sent"),
            ("email", "failed"),
        ]
        assert timeline[0]["archive_entry"] is not None
