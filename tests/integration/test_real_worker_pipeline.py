"""A batch submitted through the API is sent by a real Celery worker on Redis: emails over
SMTP, SMS into the file outbox, letters into one print file, everything archived."""

import csv
import email
import hashlib
import io
import time
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from django.conf import settings
from pypdf import PdfReader
from rest_framework.test import APIClient

from ccm.roles import OPERATOR
from ccm.services import api_token_create
from channels.backends.sms.file import read_outbox
from channels.models import Batch, Message, PrintFile
from compliance.models import ArchiveEntry
from compliance.services import artifact_read
from customers.models import Customer
from rendering.render import render
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.integration

BATCH_DEADLINE_SECONDS = 90
# (channel, locale, how many customers)
AUDIENCE = [
    ("email", "en", 8),
    ("email", "ja", 4),
    ("sms", "en", 6),
    ("sms", "ja", 4),
    ("print", "en", 5),
    ("print", "ja", 3),
]


def _row_data(customer: Customer, number: int) -> dict[str, Any]:
    first_name = f"花子{number}" if customer.locale == "ja" else f"Alex{number}"
    return {"first_name": first_name, "amount": 100 + number, "due_date": "2026-12-15"}


def _wait_for_completion(batch_id: int, worker: Any) -> Batch:
    deadline = time.monotonic() + BATCH_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        batch = Batch.objects.get(pk=batch_id)
        if batch.status == Batch.Status.COMPLETED:
            return batch
        worker.assert_alive()
        time.sleep(0.25)
    statuses = list(
        Message.objects.filter(batch_id=batch_id).values_list("channel", "status", "last_error")
    )
    status = Batch.objects.get(pk=batch_id).status
    pytest.fail(
        f"Batch {batch_id} is {status} after {BATCH_DEADLINE_SECONDS} s; messages: {statuses}"
    )


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _parts(parsed: EmailMessage) -> dict[str, EmailMessage]:
    return {part.get_content_type(): part for part in parsed.iter_parts()}


class RealWorkerPipelineTests:
    def test_it_delivers_an_api_batch_on_every_channel_and_archives_exactly_what_left(
        self, real_celery_worker, smtp_server, shared_dirs
    ):
        version = published_version()
        customers = [
            CustomerFactory(channel_preference=[channel], locale=locale)
            for channel, locale, count in AUDIENCE
            for _ in range(count)
        ]
        data = {c.pk: _row_data(c, n) for n, c in enumerate(customers, start=1)}
        _, key = api_token_create(user=UserFactory(roles=[OPERATOR]), name="billing system")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

        response = client.post(
            "/api/batches",
            {
                "communication": version.communication.key,
                "recipients": [
                    {"customer_id": c.external_id, "data": data[c.pk]} for c in customers
                ],
            },
            format="json",
        )

        assert response.status_code == 202, response.content
        assert response.data["total_rows"] == len(customers) == 30
        assert response.data["rejected_rows"] == []
        batch = _wait_for_completion(response.data["id"], real_celery_worker)

        messages = list(Message.objects.filter(batch=batch).select_related("customer"))
        assert len(messages) == 30
        assert {m.status for m in messages} == {Message.Status.SENT}
        assert sorted((m.channel, m.locale) for m in messages) == sorted(
            (c.channel_preference[0], c.locale) for c in customers
        )
        entries = {}
        for message in messages:
            (entry,) = ArchiveEntry.objects.filter(message=message, is_test=False)
            content = artifact_read(entry=entry)
            assert hashlib.sha256(content).hexdigest() == entry.artifact_sha256
            assert entry.artifact_size == len(content)
            entries[message.pk] = entry
        by_channel = {
            ch: [m for m in messages if m.channel == ch] for ch in ("email", "sms", "print")
        }

        self._assert_emails(smtp_server, by_channel["email"], entries, version, data)
        self._assert_sms(shared_dirs, by_channel["sms"], entries, version, data)
        self._assert_print_file(shared_dirs, batch, by_channel["print"])

    def _assert_emails(self, smtp_server, messages, entries, version, data):
        received = {}
        for mail in smtp_server.received:
            parsed = email.message_from_bytes(mail.content, policy=policy.default)
            assert parsed["Message-ID"] not in received, "an email arrived twice"
            received[parsed["Message-ID"]] = (mail, parsed)
        assert sorted(received) == sorted(m.message_id for m in messages)

        for message in messages:
            mail, parsed = received[message.message_id]
            assert mail.rcpt_tos == [message.customer.email]
            assert mail.mail_from == "billing@acme.example"
            assert mail.content == artifact_read(entry=entries[message.pk])
            assert entries[message.pk].message_reference == message.message_id

            expected = render(version, "email", message.locale, data[message.customer_id])
            assert parsed.get_content_type() == "multipart/alternative"
            parts = _parts(parsed)
            assert sorted(parts) == ["text/html", "text/plain"]
            assert parsed["Subject"] == expected.subject
            assert _normalised(parts["text/plain"].get_content()) == _normalised(expected.text)
            assert _normalised(parts["text/html"].get_content()) == _normalised(expected.html)
            assert parsed["To"].addresses[0].addr_spec == message.customer.email
            first_name = data[message.customer_id]["first_name"]
            assert first_name in parts["text/plain"].get_content()
            if message.locale == "ja":
                assert parsed["Subject"].endswith("のお支払いについて")
                assert "お支払いください" in parts["text/html"].get_content()
            else:
                assert parsed["Subject"].startswith("Payment of £")

    def _assert_sms(self, shared_dirs, messages, entries, version, data):
        outbox = read_outbox(shared_dirs.sms)
        assert sorted(sms["reference"] for sms in outbox) == sorted(m.message_id for m in messages)
        by_reference = {sms["reference"]: sms for sms in outbox}
        for message in messages:
            sms = by_reference[message.message_id]
            expected = render(version, "sms", message.locale, data[message.customer_id]).text
            assert sms["to"] == message.customer.phone
            assert sms["from"] == "AcmeEnergy"
            assert sms["text"] == expected
            assert data[message.customer_id]["first_name"] in sms["text"]
            assert artifact_read(entry=entries[message.pk]) == expected.encode("utf-8")

    def _assert_print_file(self, shared_dirs, batch, letters):
        (print_file,) = PrintFile.objects.filter(batch=batch)
        pdf_bytes = (shared_dirs.print / print_file.pdf_name).read_bytes()
        assert hashlib.sha256(pdf_bytes).hexdigest() == print_file.sha256
        reader = PdfReader(io.BytesIO(pdf_bytes))
        manifest_text = (shared_dirs.print / print_file.manifest_name).read_text(encoding="utf-8")
        manifest = list(csv.DictReader(io.StringIO(manifest_text)))

        assert print_file.letter_count == len(letters) == len(manifest) == 8
        assert sorted(int(row["message_id"]) for row in manifest) == sorted(m.pk for m in letters)
        assert len(reader.pages) == print_file.page_count
        if settings.CCM_PRINT_DUPLEX:
            # Every letter fills whole sheets: blank backs added.
            assert print_file.page_count == sum(2 * int(row["sheets"]) for row in manifest)
        else:
            assert print_file.page_count == sum(int(row["pages"]) for row in manifest)
        names = {m.pk: m.customer.name for m in letters}
        for row in manifest:
            first_page = reader.pages[int(row["first_page"]) - 1].extract_text()
            assert names[int(row["message_id"])] in first_page
