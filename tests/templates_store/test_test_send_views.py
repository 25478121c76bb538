"""Test sends from the version page (channels/test_send_views.py), with the studio's
fixtures."""

import pytest
from django.core import mail

from channels.backends.sms import locmem as sms_locmem
from compliance.models import ArchiveEntry
from templates_store import services
from tests.factories.templates_store import VerifiedPhoneFactory
from tests.templates_store.studio_pages import flashes, url

pytestmark = pytest.mark.django_db


class TestSendTests:
    def test_an_email_test_goes_to_the_designer(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(
            url("version_test_send", draft.pk), {"channel": "email", "locale": "en"}
        )
        assert response.status_code == 302
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == [f"Dana Designer <{designer.email}>"]
        assert mail.outbox[0].extra_headers["X-CCM-Test"] == "true"
        assert any(designer.email in m for m in flashes(response))
        assert ArchiveEntry.objects.filter(is_test=True, channel="email").count() == 1

    def test_an_sms_test_goes_to_a_verified_number(self, client, designer, draft):
        VerifiedPhoneFactory(user=designer, number="+447400123456")
        client.force_login(designer)
        response = client.post(
            url("version_test_send", draft.pk),
            {"channel": "sms", "locale": "en", "recipient": "+44 7400 123456"},
        )
        assert response.status_code == 302
        assert [m.to for m in sms_locmem.outbox] == ["+447400123456"]
        assert "Alex" in sms_locmem.outbox[0].text

    def test_an_sms_test_needs_an_allowed_number(self, client, designer, draft):
        client.force_login(designer)
        for phone, error in (
            ("", "An SMS test needs a mobile number"),
            ("12345", "12345 may not receive tests"),
            ("+447400123456", "+447400123456 may not receive tests"),
        ):
            response = client.post(
                url("version_test_send", draft.pk),
                {"channel": "sms", "locale": "en", "recipient": phone},
            )
            assert response.status_code == 422
            assert error in response.content.decode()
        assert sms_locmem.outbox == []

    def test_a_letter_test_is_downloaded_as_pdf(self, client, designer, draft):
        client.force_login(designer)
        response = client.post(
            url("version_test_send", draft.pk), {"channel": "print", "locale": "ja"}
        )
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response.content.startswith(b"%PDF")
        assert ArchiveEntry.objects.filter(is_test=True, channel="print").count() == 1

    def test_a_content_that_does_not_render_is_reported(self, client, designer, draft):
        services.variant_save(version=draft, channel="sms", locale="en", body_text="{{ nope }}")
        VerifiedPhoneFactory(user=designer, number="+447400123456")
        client.force_login(designer)
        response = client.post(
            url("version_test_send", draft.pk),
            {"channel": "sms", "locale": "en", "recipient": "+447400123456"},
        )
        assert response.status_code == 422
        assert "nope" in response.content.decode()
        assert sms_locmem.outbox == []

    def test_an_approver_cannot_send_tests(self, client, approver, draft):
        client.force_login(approver)
        response = client.post(
            url("version_test_send", draft.pk), {"channel": "email", "locale": "en"}
        )
        assert response.status_code == 403
        assert mail.outbox == []
