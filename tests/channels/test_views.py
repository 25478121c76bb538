import json
import re

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels import services
from channels.backends.sms import locmem as sms_outbox
from channels.models import Batch, Message, PrintFile
from channels.views import UPLOADS_SESSION_KEY
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import SAMPLE, published_version

pytestmark = pytest.mark.django_db

ALLOWED_TO_VIEW = ["operator", "compliance_officer", "auditor"]
NOT_ALLOWED_TO_VIEW = ["designer", "approver"]


def login(client, role: str, batch: Batch | None = None):
    """Sign in a person of ``role``; an operator signs in as the one who made ``batch``
    (an operator sees only their own client's batches)."""
    user = batch.created_by if batch is not None and role == "operator" else None
    user = user or UserFactory(roles=[role])
    client.force_login(user)
    return user


def queued_batch(rows=None) -> Batch:
    """A batch accepted but not dispatched (its on-commit callbacks never run)."""
    version = published_version()
    customer = CustomerFactory(channel_preference=["email"])
    rows = rows or [{"customer_id": customer.external_id, "data": SAMPLE}] * 3
    return services.batch_create(
        communication=version.communication, rows=rows, created_by=UserFactory(roles=["operator"])
    )


def finished_batch(django_capture_on_commit_callbacks) -> Batch:
    version = published_version()
    by_email = CustomerFactory(channel_preference=["email"])
    by_letter = CustomerFactory(channel_preference=["print"])
    rows = [
        {"customer_id": by_email.external_id, "data": SAMPLE},
        {"customer_id": by_letter.external_id, "data": SAMPLE},
        {"customer_id": "NOPE", "data": SAMPLE},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_create(
            communication=version.communication,
            rows=rows,
            created_by=UserFactory(roles=["operator"]),
        )
    batch.refresh_from_db()
    return batch


class BatchListTests:
    @pytest.mark.parametrize("role", ALLOWED_TO_VIEW)
    def test_it_lists_batches_with_their_counts(
        self, client, role, django_capture_on_commit_callbacks
    ):
        batch = finished_batch(django_capture_on_commit_callbacks)
        login(client, role, batch)
        response = client.get(reverse("channels:batch_list"))
        assert response.status_code == 200
        row = next(r for r in response.context["page"] if r.pk == batch.pk)
        assert (row.accepted, row.rejected, row.done, row.percent) == (2, 1, 2, 100)
        html = response.content.decode()
        assert reverse("channels:batch_detail", args=[batch.pk]) in html
        assert batch.communication.key in html
        assert '<span class="badge completed">' in html

    @pytest.mark.parametrize("role", NOT_ALLOWED_TO_VIEW)
    def test_other_roles_are_refused(self, client, role):
        login(client, role)
        assert client.get(reverse("channels:batch_list")).status_code == 403

    def test_only_operators_see_the_upload_button(self, client):
        login(client, "auditor")
        assert (
            reverse("channels:batch_upload")
            not in client.get(reverse("channels:batch_list")).content.decode()
        )
        login(client, "operator")
        assert (
            reverse("channels:batch_upload")
            in client.get(reverse("channels:batch_list")).content.decode()
        )


class BatchDetailTests:
    def test_it_shows_counts_rejected_rows_print_files_and_messages(
        self, client, django_capture_on_commit_callbacks
    ):
        batch = finished_batch(django_capture_on_commit_callbacks)
        login(client, "operator", batch)
        response = client.get(reverse("channels:batch_detail", args=[batch.pk]))
        assert response.status_code == 200
        html = response.content.decode()
        assert response.context["progress"]["counts"]["sent"] == 2
        assert "no customer &#x27;NOPE&#x27;" in html
        assert "<code>customer_id</code>" in html
        print_file = PrintFile.objects.get(batch=batch)
        assert print_file.pdf_name in html
        assert len(response.context["message_page"]) == 2
        # A finished batch is not polled.
        assert 'hx-trigger="every 2s"' not in html
        assert "Cancel batch" not in html

    def test_messages_can_be_filtered_by_status(self, client):
        batch = queued_batch()
        Message.objects.filter(pk=batch.messages.first().pk).update(
            status=Message.Status.FAILED, last_error="boom"
        )
        login(client, "operator", batch)
        response = client.get(
            reverse("channels:batch_detail", args=[batch.pk]), {"status": "failed"}
        )
        assert [m.status for m in response.context["message_page"]] == ["failed"]
        assert "boom" in response.content.decode()
        response = client.get(
            reverse("channels:batch_detail", args=[batch.pk]), {"status": "bogus"}
        )
        assert len(response.context["message_page"]) == 3

    def test_a_running_batch_polls_its_progress_every_two_seconds(self, client):
        batch = queued_batch()
        login(client, "operator", batch)
        html = client.get(reverse("channels:batch_detail", args=[batch.pk])).content.decode()
        progress_url = reverse("channels:batch_progress", args=[batch.pk])
        assert re.search(rf'hx-get="{progress_url}\?polling=1" hx-trigger="every 2s"', html)
        assert "Cancel batch" in html

    def test_the_progress_fragment_stops_polling_and_reloads_once_finished(self, client):
        batch = queued_batch()
        login(client, "auditor")
        url = reverse("channels:batch_progress", args=[batch.pk])
        response = client.get(url, {"polling": "1"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="batch-progress"') and "<html" not in html
        assert 'hx-trigger="every 2s"' in html and "HX-Refresh" not in response
        Message.objects.filter(batch=batch).update(status=Message.Status.SENT)
        Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.COMPLETED)
        response = client.get(url, {"polling": "1"}, HTTP_HX_REQUEST="true")
        assert 'hx-trigger="every 2s"' not in response.content.decode()
        assert ">100%<" in response.content.decode()
        assert response["HX-Refresh"] == "true"

    def test_an_unknown_batch_is_not_found(self, client):
        login(client, "operator")
        assert client.get(reverse("channels:batch_detail", args=[999999])).status_code == 404

    @pytest.mark.parametrize("role", NOT_ALLOWED_TO_VIEW)
    def test_other_roles_are_refused(self, client, role):
        batch = queued_batch()
        login(client, role, batch)
        assert client.get(reverse("channels:batch_detail", args=[batch.pk])).status_code == 403
        assert client.get(reverse("channels:batch_progress", args=[batch.pk])).status_code == 403


class BatchCancelTests:
    def test_an_operator_cancels_a_running_batch(self, client):
        batch = queued_batch()
        login(client, "operator", batch)
        response = client.post(reverse("channels:batch_cancel", args=[batch.pk]), follow=True)
        batch.refresh_from_db()
        assert batch.status == Batch.Status.CANCELLED
        assert set(batch.messages.values_list("status", flat=True)) == {"cancelled"}
        assert "3 messages will not be sent" in response.content.decode()

    def test_a_finished_batch_cannot_be_cancelled(self, client, django_capture_on_commit_callbacks):
        batch = finished_batch(django_capture_on_commit_callbacks)
        login(client, "operator", batch)
        response = client.post(reverse("channels:batch_cancel", args=[batch.pk]), follow=True)
        assert "already Completed" in response.content.decode()
        batch.refresh_from_db()
        assert batch.status == Batch.Status.COMPLETED

    @pytest.mark.parametrize("role", ["compliance_officer", "auditor", "designer"])
    def test_people_who_may_only_look_cannot_cancel(self, client, role):
        batch = queued_batch()
        login(client, role, batch)
        assert client.post(reverse("channels:batch_cancel", args=[batch.pk])).status_code == 403
        batch.refresh_from_db()
        assert batch.status == Batch.Status.QUEUED

    def test_cancel_needs_a_post(self, client):
        batch = queued_batch()
        login(client, "operator", batch)
        assert client.get(reverse("channels:batch_cancel", args=[batch.pk])).status_code == 405


def upload(client, version, content: bytes, filename: str = "rows.csv", **extra):
    file = SimpleUploadedFile(filename, content, content_type="application/octet-stream")
    return client.post(
        reverse("channels:batch_upload"),
        {"communication": version.communication.pk, "file": file, **extra},
    )


class BatchUploadTests:
    def test_an_operator_uploads_previews_and_submits_a_csv(
        self, client, django_capture_on_commit_callbacks
    ):
        version = published_version()
        taro = CustomerFactory(channel_preference=["sms"], locale="ja", name="山田 太郎")
        operator = login(client, "operator")
        content = (
            "customer_id,name,email,data.first_name,data.amount,data.due_date\r\n"
            f"{taro.external_id},,,太郎,12000,2026-12-15\r\n"
            ",Alex,alex@example.com,Alex,120.5,2026-12-15\r\n"
            ",Bad,bad@example.com,Bad,lots,2026-12-15\r\n"
        ).encode("cp932")

        response = upload(client, version, content, "名簿.csv")
        assert response.status_code == 302
        preview_url = response["Location"]
        token = preview_url.rstrip("/").rsplit("/", 1)[1]
        stored = client.session[UPLOADS_SESSION_KEY][token]["name"]
        assert stored.startswith("uploads/") and default_storage.exists(stored)

        preview = client.get(preview_url)
        assert preview.status_code == 200
        html = preview.content.decode()
        rows = preview.context["preview"].rows
        assert [r.channel for r in rows] == ["sms", "email", ""]
        assert "太郎様" in rows[0].summary
        assert rows[1].summary == "Payment of £120.50 due"
        assert '<div class="bubble">' in html and "Payment of £120.50 due" in html
        # The third row's data does not match the schema: it is not rendered, and it is listed.
        assert rows[2].error == "data.amount: 'lots' is not of type 'number'"
        assert preview.context["preview"].errors == [
            {"row": 3, "field": "data.amount", "reason": "'lots' is not of type 'number'"}
        ]
        assert "&#x27;lots&#x27; is not of type &#x27;number&#x27;" in html
        assert "Submit the batch (3 rows)" in html

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("channels:batch_upload_confirm", args=[token]), {"version": version.pk}
            )
        batch = Batch.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("channels:batch_detail", args=[batch.pk])
        batch.refresh_from_db()
        assert (batch.source, batch.created_by, batch.status) == (
            "upload",
            operator,
            Batch.Status.COMPLETED,
        )
        assert batch.rejected_rows == [
            {"row": 3, "field": "data.amount", "reason": "'lots' is not of type 'number'"}
        ]
        assert sorted(batch.messages.values_list("status", flat=True)) == ["sent", "sent"]
        assert [m.to for m in mail.outbox] == [["Alex <alex@example.com>"]]
        assert len(sms_outbox.outbox) == 1 and "太郎様" in sms_outbox.outbox[0].text
        # The file is gone and the token spent.
        assert not default_storage.exists(stored)
        assert token not in client.session[UPLOADS_SESSION_KEY]
        assert (
            client.post(reverse("channels:batch_upload_confirm", args=[token])).status_code == 404
        )

        page = client.get(response["Location"]).content.decode()
        assert f"Batch {batch.pk} accepted from 名簿.csv." in page
        assert "&#x27;lots&#x27; is not of type &#x27;number&#x27;" in page

    def test_json_lines_are_uploaded_with_an_explicit_format(
        self, client, django_capture_on_commit_callbacks
    ):
        version = published_version()
        login(client, "operator")
        row = {
            "email": "a@example.com",
            "data": {"first_name": "A", "amount": 1, "due_date": "2026-01-01"},
        }
        content = json.dumps(row).encode() + b"\n"
        response = upload(client, version, content, "export.txt", format="jsonl")
        token = response["Location"].rstrip("/").rsplit("/", 1)[1]
        assert client.get(response["Location"]).context["preview"].total == 1
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("channels:batch_upload_confirm", args=[token]), {"version": version.pk}
            )
        assert Batch.objects.get().messages.get().status == Message.Status.SENT

    def test_a_malformed_file_is_shown_and_cannot_be_submitted(self, client):
        version = published_version()
        login(client, "operator")
        response = upload(
            client, version, b'[{"email": "a@example.com"},\n {"email": }]', "rows.json"
        )
        preview = client.get(response["Location"])
        html = preview.content.decode()
        assert "The file cannot be read: line 2: not valid JSON" in html
        assert "Submit the batch" not in html
        token = response["Location"].rstrip("/").rsplit("/", 1)[1]
        version_pk = preview.context["preview"].version.pk
        response = client.post(
            reverse("channels:batch_upload_confirm", args=[token]), {"version": version_pk}
        )
        assert Batch.objects.count() == 0
        assert response.status_code == 302

    def test_a_file_of_unknown_type_is_refused_at_once(self, client):
        version = published_version()
        login(client, "operator")
        response = upload(client, version, b"PK\x03\x04", "rows.xlsx")
        assert response.status_code == 200
        assert "cannot tell the format of" in response.content.decode()
        assert not default_storage.exists("uploads") or not default_storage.listdir("uploads")[1]

    def test_only_communications_with_a_published_version_are_offered(self, client):
        version = published_version()
        login(client, "operator")
        response = client.get(reverse("channels:batch_upload"))
        choices = list(response.context["form"].fields["communication"].queryset)
        assert choices == [version.communication]

    def test_publishing_another_version_after_the_preview_asks_for_a_new_preview(self, client):
        version = published_version()
        login(client, "operator")
        response = upload(client, version, b"email,data.first_name\na@example.com,A\n")
        token = response["Location"].rstrip("/").rsplit("/", 1)[1]
        response = client.post(
            reverse("channels:batch_upload_confirm", args=[token]), {"version": version.pk + 1000}
        )
        assert response["Location"] == reverse("channels:batch_upload_preview", args=[token])
        assert Batch.objects.count() == 0

    def test_a_token_from_another_session_is_not_found(self, client):
        version = published_version()
        login(client, "operator")
        response = upload(client, version, b"email\na@example.com\n")
        token = response["Location"].rstrip("/").rsplit("/", 1)[1]
        login(client, "operator")
        assert client.get(reverse("channels:batch_upload_preview", args=[token])).status_code == 404
        assert client.get("/batches/upload/..%2F..%2Fetc/").status_code == 404
        assert (
            client.get(reverse("channels:batch_upload_preview", args=["not-a-token"])).status_code
            == 404
        )

    def test_discarding_deletes_the_file(self, client):
        version = published_version()
        login(client, "operator")
        response = upload(client, version, b"email\na@example.com\n")
        token = response["Location"].rstrip("/").rsplit("/", 1)[1]
        stored = client.session[UPLOADS_SESSION_KEY][token]["name"]
        client.post(reverse("channels:batch_upload_discard", args=[token]))
        assert not default_storage.exists(stored)
        assert token not in client.session[UPLOADS_SESSION_KEY]

    @pytest.mark.parametrize("role", ["compliance_officer", "auditor", "designer", "approver"])
    def test_only_operators_may_upload(self, client, role):
        version = published_version()
        login(client, role)
        assert client.get(reverse("channels:batch_upload")).status_code == 403
        assert upload(client, version, b"email\na@example.com\n").status_code == 403
        assert not default_storage.exists("uploads")
