import email
import hashlib
import io
from email import policy

import pytest
from django.core import mail
from pypdf import PdfReader

from channels import services
from channels.backends.printing import locmem as print_outbox
from channels.backends.sms import locmem as sms_outbox
from channels.models import Batch, Message
from compliance.models import ArchiveEntry
from compliance.services import artifact_read
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db


class BatchPipelineTests:
    def test_it_delivers_each_row_on_its_preferred_channel_and_archives_it(
        self, django_capture_on_commit_callbacks, settings
    ):
        # Printed on one side: the one-page letter is the print file's one page.
        settings.CCM_PRINT_DUPLEX = False
        version = published_version()
        by_email = CustomerFactory(channel_preference=["email"])
        by_sms = CustomerFactory(channel_preference=["sms"], locale="ja")
        by_letter = CustomerFactory(channel_preference=["print"])
        rows = [
            {"customer_id": c.external_id, "data": SAMPLE} for c in (by_email, by_sms, by_letter)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            batch = services.batch_create(
                communication=version.communication, rows=rows, created_by=UserFactory()
            )
        batch.refresh_from_db()
        assert batch.status == Batch.Status.COMPLETED
        assert (
            list(Message.objects.filter(batch=batch).values_list("status", flat=True))
            == ["sent"] * 3
        )

        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == [f"{by_email.name} <{by_email.email}>"]
        assert len(sms_outbox.outbox) == 1 and "お支払いください" in sms_outbox.outbox[0].text
        assert len(print_outbox.outbox) == 1
        assert len(PdfReader(io.BytesIO(print_outbox.outbox[0].pdf)).pages) == 1

        entries = ArchiveEntry.objects.filter(message__batch=batch)
        assert entries.count() == 3
        for entry in entries:
            assert hashlib.sha256(artifact_read(entry=entry)).hexdigest() == entry.artifact_sha256
        email_entry = entries.get(channel="email")
        parsed = email.message_from_bytes(artifact_read(entry=email_entry), policy=policy.SMTP)
        assert parsed["Message-ID"] == mail.outbox[0].extra_headers["Message-ID"]
        assert mail.outbox[0].message().as_bytes(linesep="\r\n") == artifact_read(entry=email_entry)

    def test_it_reports_bad_rows_and_sends_the_good_ones(self, django_capture_on_commit_callbacks):
        version = published_version()
        good = CustomerFactory(channel_preference=["email"])
        rows = [
            {"customer_id": good.external_id, "data": SAMPLE},
            {"customer_id": "NOPE", "data": SAMPLE},
            {"customer_id": good.external_id, "data": {**SAMPLE, "amount": "lots"}},
            {"email": "inline@example.org", "name": "Inline", "data": SAMPLE},
        ]
        with django_capture_on_commit_callbacks(execute=True):
            batch = services.batch_create(
                communication=version.communication, rows=rows, created_by=UserFactory()
            )
        batch.refresh_from_db()
        assert batch.total_rows == 4
        assert batch.rejected_rows == [
            {"row": 2, "field": "customer_id", "reason": "no customer 'NOPE'"},
            {"row": 3, "field": "data.amount", "reason": "'lots' is not of type 'number'"},
        ]
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            [f"{good.name} <{good.email}>", "Inline <inline@example.org>"]
        )
