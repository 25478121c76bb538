"""Test sends reach only the sender's own address, phones they verified and the
administrators' allowlist; each person has a budget of them; every attempt is logged."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from channels.backends.sms import locmem as sms_locmem
from channels.services.test_sends import version_test_send
from compliance.models import ArchiveEntry
from templates_store import services
from templates_store.models import TestRecipient, TestSendLog, VerifiedPhone
from templates_store.test_recipients import TestSendRefused
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import TestRecipientFactory, VerifiedPhoneFactory

pytestmark = pytest.mark.django_db

Result = TestSendLog.Result


def url(name, *args):
    return reverse(f"templates_store:{name}", args=args)


def send(client, version, channel="sms", recipient="", locale="en"):
    return client.post(
        url("version_test_send", version.pk),
        {"channel": channel, "locale": locale, "recipient": recipient},
    )


def page_errors(response) -> str:
    return response.content.decode()


class RecipientTests:
    def test_the_forty_numbers_attack_is_refused_number_by_number(self, client, designer, draft):
        client.force_login(designer)
        numbers = [f"+4474001234{n:02d}" for n in range(40)]
        for number in numbers:
            response = send(client, draft, "sms", number)
            assert response.status_code == 422, number
            assert f"{number} may not receive tests" in page_errors(response)
        assert sms_locmem.outbox == []
        refused = TestSendLog.objects.filter(user=designer, result=Result.REFUSED)
        assert sorted(refused.values_list("recipient", flat=True)) == numbers
        assert not ArchiveEntry.objects.filter(is_test=True).exists()

    def test_an_email_to_someone_else_is_refused(self, client, designer, draft):
        client.force_login(designer)
        response = send(client, draft, "email", "ceo@example.org")
        assert response.status_code == 422
        assert "ceo@example.org may not receive tests" in page_errors(response)
        assert mail.outbox == []

    def test_the_service_refuses_an_address_that_is_not_allowed(self, designer, draft):
        with pytest.raises(TestSendRefused, match=r"\+447400123499 may not receive tests"):
            version_test_send(
                version=draft, actor=designer, channel="sms", locale="en", to="+447400123499"
            )
        assert sms_locmem.outbox == []

    def test_an_email_goes_to_the_own_address_marked_as_a_test(self, client, designer, draft):
        client.force_login(designer)
        response = send(client, draft, "email", designer.email.upper())
        assert response.status_code == 302
        [email] = mail.outbox
        assert email.to == [f"Dana Designer <{designer.email}>"]
        assert email.subject.startswith("[TEST] ")
        assert email.extra_headers["X-CCM-Test"] == "true"

    def test_a_verified_phone_gets_the_sms_from_the_test_sender(self, client, designer, draft):
        VerifiedPhoneFactory(user=designer, number="+447400123456")
        client.force_login(designer)
        response = send(client, draft, "sms", "+44 7400 123456")
        assert response.status_code == 302
        [sms] = sms_locmem.outbox
        assert (sms.to, sms.sender) == ("+447400123456", "TEST")
        assert "Alex" in sms.text

    def test_the_brand_sender_is_used_only_when_allowed(self, client, designer, draft, settings):
        settings.CCM_TEST_SMS_BRAND_SENDER = True
        VerifiedPhoneFactory(user=designer, number="+447400123456")
        client.force_login(designer)
        send(client, draft, "sms", "+447400123456")
        assert sms_locmem.outbox[0].sender == draft.communication.sms_sender_id

    def test_a_phone_waiting_for_its_code_is_refused(self, client, designer, draft):
        VerifiedPhoneFactory(user=designer, number="+447400123456", verified_at=None)
        client.force_login(designer)
        response = send(client, draft, "sms", "+447400123456")
        assert "confirm it with the code sent to it" in page_errors(response)
        assert sms_locmem.outbox == []

    def test_another_users_verified_phone_is_refused(self, client, designer, draft):
        VerifiedPhoneFactory(user=UserFactory(), number="+447400123456")
        client.force_login(designer)
        assert send(client, draft, "sms", "+447400123456").status_code == 422
        assert sms_locmem.outbox == []

    def test_an_allowlisted_recipient_of_the_team_gets_tests(self, client, designer, draft):
        # The draft's owner team is "Billing".
        TestRecipientFactory(address="+447400123457", team="Billing")
        TestRecipientFactory(address="+447400123458", team="Field Services")
        TestRecipientFactory(kind=TestRecipient.Kind.EMAIL, address="qa@example.org")
        client.force_login(designer)
        assert send(client, draft, "sms", "+447400123457").status_code == 302
        assert send(client, draft, "email", "qa@example.org").status_code == 302
        assert send(client, draft, "sms", "+447400123458").status_code == 422
        assert [m.to for m in sms_locmem.outbox] == ["+447400123457"]
        assert [m.to for m in mail.outbox] == [["qa@example.org"]]

    def test_the_form_offers_only_allowed_recipients(self, client, designer, draft):
        VerifiedPhoneFactory(user=designer, number="+447400123456")
        VerifiedPhoneFactory(user=designer, number="+447400123460", verified_at=None)
        TestRecipientFactory(address="+447400123457")
        TestRecipientFactory(address="+447400123458", team="Field Services")
        client.force_login(designer)
        html = client.get(url("version_detail", draft.pk)).content.decode()
        options = re.findall(r'<option value="([^"]*)"', html)
        assert designer.email in options
        assert "+447400123456" in options
        assert "+447400123457" in options
        assert "+447400123460" not in options
        assert "+447400123458" not in options
        assert url("test_recipients") in html

    def test_a_letter_is_still_downloaded(self, client, designer, draft):
        client.force_login(designer)
        response = send(client, draft, "print", locale="ja")
        assert response.content.startswith(b"%PDF")


class RateLimitTests:
    def test_the_rate_limit_holds_for_allowed_recipients(self, client, designer, draft, settings):
        settings.CCM_TEST_SEND_RATE_LIMIT = "3/hour"
        VerifiedPhoneFactory(user=designer, number="+447400123456")
        client.force_login(designer)
        for _ in range(3):
            assert send(client, draft, "sms", "+447400123456").status_code == 302
        response = send(client, draft, "sms", "+447400123456")
        assert response.status_code == 429
        assert "try again in 60 minutes" in page_errors(response)
        assert 3500 < int(response["Retry-After"]) <= 3600
        assert len(sms_locmem.outbox) == 3
        # Another channel spends the same budget.
        assert send(client, draft, "email").status_code == 429
        assert mail.outbox == []

    def test_the_budget_comes_back_as_attempts_age(self, client, designer, draft, settings):
        settings.CCM_TEST_SEND_RATE_LIMIT = "2/hour"
        client.force_login(designer)
        send(client, draft, "email")
        send(client, draft, "email")
        assert send(client, draft, "email").status_code == 429
        oldest = TestSendLog.objects.filter(result=Result.SENT).order_by("created_at").first()
        TestSendLog.objects.filter(pk=oldest.pk).update(
            created_at=oldest.created_at - timedelta(minutes=61)
        )
        assert send(client, draft, "email").status_code == 302
        assert len(mail.outbox) == 3

    def test_refused_recipients_do_not_spend_the_budget(self, client, designer, draft, settings):
        settings.CCM_TEST_SEND_RATE_LIMIT = "1/hour"
        client.force_login(designer)
        for n in range(5):
            send(client, draft, "sms", f"+4474001234{n:02d}")
        assert send(client, draft, "email").status_code == 302

    def test_each_user_has_a_budget_of_their_own(self, client, designer, draft, settings):
        settings.CCM_TEST_SEND_RATE_LIMIT = "1/hour"
        other = UserFactory(roles=["designer"])
        client.force_login(designer)
        assert send(client, draft, "email").status_code == 302
        client.force_login(other)
        assert send(client, draft, "email").status_code == 302


class LogTests:
    def test_every_attempt_is_logged(self, client, designer, draft, settings):
        settings.CCM_TEST_SEND_RATE_LIMIT = "2/hour"
        client.force_login(designer)
        send(client, draft, "email")
        send(client, draft, "sms", "+447400123499")
        services.variant_save(version=draft, channel="sms", locale="en", body_text="{{ nope }}")
        VerifiedPhoneFactory(user=designer, number="+447400123456")
        send(client, draft, "sms", "+447400123456")
        send(client, draft, "email")
        rows = list(
            TestSendLog.objects.order_by("id").values_list(
                "user", "version", "channel", "recipient", "result"
            )
        )
        assert rows == [
            (designer.pk, draft.pk, "email", designer.email, Result.SENT),
            (designer.pk, draft.pk, "sms", "+447400123499", Result.REFUSED),
            (designer.pk, draft.pk, "sms", "+447400123456", Result.FAILED),
            (designer.pk, draft.pk, "email", designer.email, Result.REFUSED),
        ]
        reasons = list(TestSendLog.objects.order_by("id").values_list("reason", flat=True))
        assert "may not receive tests" in reasons[1]
        assert "nope" in reasons[2]
        assert "try again in" in reasons[3]
        sent = TestSendLog.objects.order_by("id").first()
        entry = ArchiveEntry.objects.get(is_test=True)
        assert sent.message_reference == entry.message_reference
        assert sent.finished_at is not None

    def test_an_approver_sees_the_test_sends_of_a_version(self, client, designer, approver, draft):
        client.force_login(designer)
        send(client, draft, "email")
        send(client, draft, "sms", "+447400123499")
        client.force_login(approver)
        for page in ("version_detail", "review_detail"):
            html = client.get(url(page, draft.pk)).content.decode()
            section = html[html.index('id="test-sends"') :]
            assert designer.email in section and "+447400123499" in section, page
            assert "Sent" in section and "Refused" in section, page

    def test_an_administrator_sees_the_log_and_cannot_change_it(self, client, designer, draft):
        client.force_login(designer)
        send(client, draft, "sms", "+447400123499")
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        listing = client.get(reverse("admin:templates_store_testsendlog_changelist"))
        assert listing.status_code == 200
        assert "+447400123499" in listing.content.decode()
        row = TestSendLog.objects.get()
        change = reverse("admin:templates_store_testsendlog_change", args=[row.pk])
        client.post(change, {"recipient": "someone-else"})
        row.refresh_from_db()
        assert row.recipient == "+447400123499"
        assert client.get(reverse("admin:templates_store_testsendlog_add")).status_code == 403

    def test_an_administrator_adds_an_allowlisted_recipient(self, client):
        admin_user = UserFactory(is_staff=True, is_superuser=True)
        client.force_login(admin_user)
        add = reverse("admin:templates_store_testrecipient_add")
        response = client.post(add, {"kind": "sms", "address": "07400 123457", "team": ""})
        assert response.status_code == 200
        assert "E.164" in response.content.decode()
        client.post(add, {"kind": "email", "address": " QA@Example.org ", "label": "QA"})
        entry = TestRecipient.objects.get()
        assert (entry.address, entry.created_by) == ("qa@example.org", admin_user)


class PhoneVerificationTests:
    def _code(self) -> str:
        return re.search(r"\b(\d{6})\b", sms_locmem.outbox[-1].text).group(1)

    def test_a_designer_verifies_a_phone_and_then_gets_tests_on_it(self, client, designer, draft):
        client.force_login(designer)
        assert client.get(url("test_recipients")).status_code == 200
        response = client.post(url("test_recipient_phone_add"), {"number": "+44 7400 123456"})
        assert response.status_code == 200
        assert "Type the code sent to +447400123456" in response.content.decode()
        [code_sms] = sms_locmem.outbox
        assert (code_sms.to, code_sms.sender) == ("+447400123456", "TEST")
        code = self._code()
        # Not yet a test recipient.
        assert send(client, draft, "sms", "+447400123456").status_code == 422
        wrong = "000000" if code != "000000" else "111111"
        response = client.post(
            url("test_recipient_phone_confirm"), {"number": "+447400123456", "code": wrong}
        )
        assert response.status_code == 422
        assert "This is not the code sent to +447400123456" in response.content.decode()
        response = client.post(
            url("test_recipient_phone_confirm"), {"number": "+447400123456", "code": code}
        )
        assert response.status_code == 302
        assert VerifiedPhone.objects.get(user=designer).is_verified
        assert send(client, draft, "sms", "+447400123456").status_code == 302
        assert [m.to for m in sms_locmem.outbox] == ["+447400123456", "+447400123456"]
        log = TestSendLog.objects.filter(purpose=TestSendLog.Purpose.PHONE_CODE).get()
        assert (log.recipient, log.result) == ("+447400123456", Result.SENT)
        assert code not in log.reason and code not in VerifiedPhone.objects.get().code_hash

    def test_a_number_waiting_for_its_code_is_confirmed_later_with_the_newest_code(
        self, client, designer
    ):
        client.force_login(designer)
        client.post(url("test_recipient_phone_add"), {"number": "+447400123456"})
        first = self._code()
        html = client.get(url("test_recipients")).content.decode()
        assert 'name="code"' in html and "Send a new code" in html
        client.post(url("test_recipient_phone_add"), {"number": "+447400123456"})
        newest = self._code()
        confirm = url("test_recipient_phone_confirm")
        if first != newest:
            client.post(confirm, {"number": "+447400123456", "code": first})
            assert not VerifiedPhone.objects.get().is_verified
        response = client.post(confirm, {"number": "+447400123456", "code": newest})
        assert response.status_code == 302
        assert VerifiedPhone.objects.get().is_verified

    def test_a_code_stops_working_after_five_wrong_tries(self, client, designer):
        client.force_login(designer)
        client.post(url("test_recipient_phone_add"), {"number": "+447400123456"})
        code = self._code()
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            client.post(
                url("test_recipient_phone_confirm"), {"number": "+447400123456", "code": wrong}
            )
        response = client.post(
            url("test_recipient_phone_confirm"), {"number": "+447400123456", "code": code}
        )
        assert "Too many wrong codes for +447400123456" in response.content.decode()
        assert not VerifiedPhone.objects.get().is_verified

    def test_a_code_expires(self, client, designer):
        client.force_login(designer)
        client.post(url("test_recipient_phone_add"), {"number": "+447400123456"})
        code = self._code()
        phone = VerifiedPhone.objects.get()
        VerifiedPhone.objects.filter(pk=phone.pk).update(
            code_sent_at=phone.code_sent_at - timedelta(minutes=11)
        )
        response = client.post(
            url("test_recipient_phone_confirm"), {"number": "+447400123456", "code": code}
        )
        assert "has expired" in response.content.decode()
        assert not VerifiedPhone.objects.get().is_verified

    def test_codes_are_rate_limited(self, client, designer, settings):
        settings.CCM_PHONE_VERIFICATION_RATE_LIMIT = "2/hour"
        client.force_login(designer)
        for n in range(2):
            response = client.post(url("test_recipient_phone_add"), {"number": f"+44740012345{n}"})
            assert response.status_code == 200
        response = client.post(url("test_recipient_phone_add"), {"number": "+447400123459"})
        assert response.status_code == 429
        assert "try again in 60 minutes" in response.content.decode()
        assert len(sms_locmem.outbox) == 2

    def test_a_number_that_is_not_a_phone_is_refused_by_name(self, client, designer):
        client.force_login(designer)
        response = client.post(url("test_recipient_phone_add"), {"number": "12345"})
        assert response.status_code == 422
        assert "12345 is not in international format" in response.content.decode()
        response = client.post(url("test_recipient_phone_add"), {"number": "+447700900123"})
        assert "+447700900123 is not a valid phone number" in response.content.decode()
        assert sms_locmem.outbox == []

    def test_a_removed_phone_receives_no_more_tests(self, client, designer, draft):
        VerifiedPhoneFactory(user=designer, number="+447400123456")
        client.force_login(designer)
        client.post(url("test_recipient_phone_remove"), {"number": "+447400123456"})
        assert send(client, draft, "sms", "+447400123456").status_code == 422

    def test_the_page_and_its_refusals_read_in_japanese(self, client, designer, draft, settings):
        client.force_login(designer)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
        html = client.get(url("test_recipients")).content.decode()
        assert "<h1>テスト受信者</h1>" in html
        response = send(client, draft, "sms", "+447400123499")
        assert "+447400123499 にはテストを送れません" in response.content.decode()

    def test_an_approver_cannot_reach_the_page(self, client, approver):
        client.force_login(approver)
        assert client.get(url("test_recipients")).status_code == 403
        assert (
            client.post(url("test_recipient_phone_add"), {"number": "+447400123456"}).status_code
            == 403
        )
