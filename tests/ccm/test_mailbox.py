import datetime as dt

import pytest
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from ccm.mailbox import MailboxWriter, mail_read, mailbox_names
from tests.factories.ccm import UserFactory


def _email(subject: str, *, to: str = "hanako@example.net", attachment: bool = False) -> bytes:
    message = EmailMultiAlternatives(
        subject=subject,
        body=f"Plain text of {subject}",
        from_email="Northwind Energy <billing@northwind-energy.example>",
        to=[to],
    )
    html = f"<p>HTML of <b>{subject}</b></p><script>alert(1)</script>"
    message.attach_alternative(html, "text/html")
    if attachment:
        message.attach("statement.csv", "date,amount\n2025-01-05,67.22\n", "text/csv")
    return message.message().as_bytes(linesep="\r\n")


@pytest.fixture
def mailbox(settings, tmp_path):
    settings.DEBUG = False
    settings.CCM_MAILBOX_ENABLED = True
    settings.CCM_MAILBOX_DIR = tmp_path / "mail"
    return MailboxWriter(settings.CCM_MAILBOX_DIR)


class MailReadTests:
    def test_it_reads_headers_both_parts_and_attachments(self, tmp_path):
        path = MailboxWriter(tmp_path).store(_email("年間取引報告書のご案内", attachment=True))

        mail = mail_read(directory=tmp_path, name=path.name)

        assert mail.summary.subject == "年間取引報告書のご案内"
        assert mail.summary.to == "hanako@example.net"
        assert mail.summary.sender == "Northwind Energy <billing@northwind-energy.example>"
        assert isinstance(mail.summary.date, dt.datetime)
        assert "<b>年間取引報告書のご案内</b>" in mail.html
        assert mail.text == "Plain text of 年間取引報告書のご案内"
        attachments = [(a.filename, a.content_type) for a in mail.attachments]
        assert attachments == [("statement.csv", "text/csv")]
        assert ("Subject", "年間取引報告書のご案内") in mail.headers
        assert mail.size == path.stat().st_size

    def test_names_are_listed_newest_first_and_other_files_are_ignored(self, tmp_path):
        writer = MailboxWriter(tmp_path)
        first, second = writer.store(_email("first")), writer.store(_email("second"))
        (tmp_path / "notes.txt").write_text("not an email")

        assert mailbox_names(directory=tmp_path) == [second.name, first.name]


@pytest.mark.django_db
class MailboxPageTests:
    def test_the_list_shows_each_email_newest_first(self, client, mailbox):
        mailbox.store(_email("Payment reminder", to="emma@example.com"))
        mailbox.store(_email("お支払いのお願い", to="taro@example.net"))
        client.force_login(UserFactory())

        response = client.get(reverse("mailbox:list"))

        assert response.status_code == 200
        html = response.content.decode()
        assert html.index("お支払いのお願い") < html.index("Payment reminder")
        assert "taro@example.net" in html and "emma@example.com" in html
        assert "billing@northwind-energy.example" in html

    def test_an_email_opens_with_its_html_in_a_sandboxed_frame_and_its_text(self, client, mailbox):
        path = mailbox.store(_email("Your statement"))
        client.force_login(UserFactory())

        response = client.get(reverse("mailbox:detail", args=[path.name]))

        assert response.status_code == 200
        html = response.content.decode()
        assert '<iframe class="email-frame" sandbox srcdoc="' in html
        # The email's HTML only ever reaches the page escaped, inside srcdoc.
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script>alert(1)</script>" not in html
        assert "Plain text of Your statement" in html
        assert "Message-ID" in html

    def test_an_unknown_email_is_not_found(self, client, mailbox):
        client.force_login(UserFactory())
        mailbox.store(_email("exists"))

        for name in ("20260101T000000.000000Z-1-000001.eml", "passwd", ".hidden.eml"):
            assert client.get(reverse("mailbox:detail", args=[name])).status_code == 404

    def test_the_mailbox_is_hidden_outside_development(self, client, mailbox, settings):
        settings.CCM_MAILBOX_ENABLED = False
        path = mailbox.store(_email("secret"))
        client.force_login(UserFactory())

        assert client.get(reverse("mailbox:list")).status_code == 404
        assert client.get(reverse("mailbox:detail", args=[path.name])).status_code == 404

        settings.DEBUG = True
        assert client.get(reverse("mailbox:list")).status_code == 200

    def test_visitors_must_log_in(self, client, mailbox):
        response = client.get(reverse("mailbox:list"))

        assert response.status_code == 302
        assert response["Location"].startswith("/login/")

    def test_an_empty_mailbox_says_so(self, client, mailbox):
        client.force_login(UserFactory())

        response = client.get(reverse("mailbox:list"))

        assert response.status_code == 200
        assert "No email yet" in response.content.decode()
