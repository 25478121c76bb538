"""Data cannot add email headers or recipients, and HTML from data is escaped."""

import email
from email import policy
from email.utils import getaddresses

import pytest
from django.core import mail
from django.core.mail.message import sanitize_address

from channels import services
from channels.backends.email import email_build
from rendering.render import render_content
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import SAMPLE, BrandFactory, published_version

pytestmark = pytest.mark.django_db

INJECTIONS = [
    "Alex\r\nBcc: evil@example.net",
    "Alex\nBcc: evil@example.net",
    "Alex\rBcc: evil@example.net",
    "Alex\r\n\r\n<html>body injected</html>",
    "Alex\u2028Bcc: evil@example.net",
    "Alex\x85Bcc: evil@example.net",
]
HOSTILE_NAMES = [
    *INJECTIONS,
    "Evil <evil@example.net>, Alex",
    '"Alex" <evil@example.net>',
    "evil@example.net",
]


def _email(subject="Hello {{ first_name }}", body="<p>Hello {{ first_name }}</p>", data=None):
    return render_content(
        channel="email",
        locale="en",
        brand=BrandFactory(),
        subject=subject,
        body_html=body,
        body_text="",
        data=data or {},
    )


def _parsed(message) -> email.message.EmailMessage:
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


@pytest.mark.parametrize("value", INJECTIONS)
def test_line_breaks_in_data_never_reach_the_subject_header(value):
    rendered = _email(data={"first_name": value})
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    message = email_build(
        rendered=rendered,
        to="alex@example.com",
        to_name="Alex",
        from_email="notify@example.com",
        message_id="<1@example.com>",
    )
    parsed = _parsed(message)
    assert parsed["Bcc"] is None
    assert "Bcc" not in parsed["Subject"] or parsed["Subject"].startswith("Hello Alex")
    assert message.recipients() == ["Alex <alex@example.com>"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_recipient_name_adds_no_address_or_header(name):
    message = email_build(
        rendered=_email(data={"first_name": "Alex"}),
        to="alex@example.com",
        to_name=name,
        from_email="notify@example.com",
        message_id="<1@example.com>",
    )
    parsed = _parsed(message)
    addresses = getaddresses([str(parsed["To"])])
    assert [address for _, address in addresses] == ["alex@example.com"]
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    (recipient,) = message.recipients()
    assert sanitize_address(recipient, "utf-8").endswith("<alex@example.com>")


def test_a_batch_row_with_a_hostile_name_reaches_only_its_address(
    django_capture_on_commit_callbacks,
):
    version = published_version()
    row = {
        "email": "real@example.com",
        "name": "Evil <evil@example.net>, x\r\nBcc: evil2@example.net",
        "data": SAMPLE,
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_create(
            communication=version.communication, rows=[row], created_by=UserFactory()
        )
    (sent,) = mail.outbox
    parsed = _parsed(sent)
    assert [a for _, a in getaddresses([str(parsed["To"])])] == ["real@example.com"]
    assert parsed["Bcc"] is None


def test_html_from_data_is_escaped_in_the_html_part_only():
    rendered = _email(
        body='<p>Hello {{ first_name }}</p><a href="{{ link }}">x</a>',
        data={"first_name": "<script>alert(1)</script>", "link": '" onclick="x'},
    )
    assert "<script>alert(1)</script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert 'onclick="x' not in rendered.html
    # The plain-text part is text: shown as typed, not as markup.
    assert "<script>alert(1)</script>" in rendered.text


def test_sms_text_is_plain_and_keeps_data_as_typed():
    rendered = render_content(
        channel="sms",
        locale="en",
        brand=BrandFactory(),
        subject="",
        body_html="",
        body_text="Hi {{ first_name }}",
        data={"first_name": "<b>Alex</b>\r\nSTOP"},
    )
    assert rendered.text == "Hi <b>Alex</b>\r\nSTOP"
