"""Email features: one-click unsubscribe, Reply-To, the letter attached, open and click
tracking, encoded headers. Every email sent is parsed back from the bytes that left."""

import email
import re
from email import policy
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from channels import services
from channels.email_links import click_url, open_url, unsubscribe_url
from channels.models import Batch, DeliveryEvent, Message
from channels.pipeline.send import messages_send
from compliance.models import ArchiveEntry
from compliance.services import artifact_read
from customers.models import Consent
from customers.services import consent_set
from templates_store.models import Communication
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import (
    CONTENT,
    SAMPLE,
    BrandFactory,
    CommunicationFactory,
    published_version,
)

pytestmark = pytest.mark.django_db

LINKED = {
    **CONTENT,
    ("email", "en"): {
        "subject": "News for {{ first_name }}",
        "body_html": (
            '<p>Hello {{ first_name }}, <a href="https://acme.example/pay?a=1&amp;b=2">pay</a>,'
            " <a href='http://acme.example/help'>help</a>,"
            ' <a href="mailto:help@acme.example">write</a>, <a href="#top">top</a>.</p>'
        ),
        "body_text": "",
    },
}


def _send(
    communication: Communication, count: int = 1, locale: str = "en", content=None, name=None
):
    """Send the communication by email to ``count`` customers who agreed to marketing;
    returns the messages and the parsed emails as they left."""
    published_version(communication=communication, content=content)
    extra = {"name": name} if name else {}
    customers = CustomerFactory.create_batch(
        count, channel_preference=["email"], locale=locale, **extra
    )
    for customer in customers:
        consent_set(customer=customer, category="marketing", granted=True, source="test")
    batch = services.batch_create(
        communication=communication,
        rows=[{"customer_id": c.external_id, "data": SAMPLE} for c in customers],
        created_by=UserFactory(),
    )
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.RUNNING)
    ids = list(batch.messages.order_by("id").values_list("id", flat=True))
    mail.outbox.clear()
    messages_send(message_ids=ids)
    messages = list(Message.objects.filter(id__in=ids).order_by("id"))
    assert [m.status for m in messages] == ["sent"] * count
    parsed = []
    for message, sent in zip(messages, mail.outbox, strict=True):
        content_bytes = sent.message().as_bytes(linesep="\r\n")
        # The archive holds exactly what was sent.
        assert artifact_read(entry=ArchiveEntry.objects.get(message=message)) == content_bytes
        parsed.append(_parsed(content_bytes))
    return messages, parsed


def _parsed(content: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(content, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert not parsed.defects
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip()
    return parsed


def _html(parsed: EmailMessage) -> str:
    part = parsed.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def _path(url: str) -> str:
    return urlsplit(url).path


class ListUnsubscribeTests:
    def test_marketing_email_carries_one_click_unsubscribe(self):
        communication = CommunicationFactory(category=Communication.Category.MARKETING)
        [message], [parsed] = _send(communication)
        assert parsed["List-Unsubscribe"].strip() == f"<{unsubscribe_url(message.pk)}>"
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe_url(message.pk).startswith("http://127.0.0.1:8000/e/u/")

    @pytest.mark.parametrize(
        "category", [Communication.Category.TRANSACTIONAL, Communication.Category.REGULATORY]
    )
    def test_other_email_has_no_unsubscribe_header(self, category):
        _, [parsed] = _send(CommunicationFactory(category=category))
        assert parsed["List-Unsubscribe"] is None
        assert parsed["List-Unsubscribe-Post"] is None

    def test_one_click_post_withdraws_marketing_consent_once(self, client):
        communication = CommunicationFactory(category=Communication.Category.MARKETING)
        [message], [parsed] = _send(communication)
        url = parsed["List-Unsubscribe"].strip().strip("<>")
        # What mail clients send (RFC 8058): a POST without cookies or CSRF token.
        response = client.post(_path(url), {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        consent = Consent.objects.get(customer=message.customer, category="marketing")
        assert consent.granted is False and consent.source == "unsubscribe"
        assert message.events.filter(kind=DeliveryEvent.Kind.UNSUBSCRIBED).count() == 1
        assert client.post(_path(url)).status_code == 200
        assert message.events.filter(kind=DeliveryEvent.Kind.UNSUBSCRIBED).count() == 1

    def test_get_shows_a_button_and_changes_nothing(self, client):
        communication = CommunicationFactory(category=Communication.Category.MARKETING)
        [message], _ = _send(communication)
        response = client.get(_path(unsubscribe_url(message.pk)))
        assert response.status_code == 200
        assert b'method="post"' in response.content
        assert Consent.objects.get(customer=message.customer, category="marketing").granted
        assert not message.events.filter(kind=DeliveryEvent.Kind.UNSUBSCRIBED).exists()

    def test_the_page_speaks_the_language_of_the_email(self, client):
        communication = CommunicationFactory(category=Communication.Category.MARKETING)
        [message], _ = _send(communication, locale="ja")
        url = _path(unsubscribe_url(message.pk))
        assert "マーケティングメールの配信停止" in client.get(url).content.decode()
        assert "配信を停止しました" in client.post(url).content.decode()

    def test_a_forged_or_foreign_token_is_refused(self, client):
        communication = CommunicationFactory(category=Communication.Category.MARKETING)
        [message], _ = _send(communication)
        token = _path(unsubscribe_url(message.pk)).split("/")[-2]
        value, signature = token.split(":")
        other = CustomerFactory()
        forged = [
            f"{int(value) + 1}:{signature}",
            f"{value}:{signature[:-1]}x",
            # An open-pixel token of the same message is signed under another salt.
            _path(open_url(message.pk)).split("/")[-2],
        ]
        for bad in forged:
            assert client.post(f"/e/u/{bad}/").status_code == 404
        assert Consent.objects.get(customer=message.customer, category="marketing").granted
        assert not other.consents.exists()
        assert not DeliveryEvent.objects.filter(kind=DeliveryEvent.Kind.UNSUBSCRIBED).exists()


class ReplyToAndAttachmentTests:
    def test_reply_to_is_the_communications_else_the_brands(self):
        brand = BrandFactory(name="Replying brand", email_reply_to="care@acme.example")
        own = CommunicationFactory(brand=brand, email_reply_to="billing-help@acme.example")
        _, [parsed] = _send(own)
        assert parsed["Reply-To"] == "billing-help@acme.example"
        _, [parsed] = _send(CommunicationFactory(brand=brand))
        assert parsed["Reply-To"] == "care@acme.example"
        _, [parsed] = _send(CommunicationFactory())
        assert parsed["Reply-To"] is None

    def test_the_letter_of_the_same_message_is_attached_and_archived(self):
        communication = CommunicationFactory(email_attach_letter=True)
        [message], [parsed] = _send(communication)
        assert parsed.get_content_type() == "multipart/mixed"
        alternative, attachment = parsed.get_payload()
        assert alternative.get_content_type() == "multipart/alternative"
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == f"{communication.key}.pdf"
        pdf = attachment.get_content()
        assert pdf.startswith(b"%PDF-")
        # The archive (compared byte for byte in _send) holds the email with the PDF.
        archived = artifact_read(entry=ArchiveEntry.objects.get(message=message))
        assert b"application/pdf" in archived

    def test_without_the_flag_nothing_is_attached(self):
        _, [parsed] = _send(CommunicationFactory())
        assert parsed.get_content_type() == "multipart/alternative"


class TrackingTests:
    def test_links_go_through_signed_redirects_and_a_pixel_is_added(self, client):
        communication = CommunicationFactory(email_tracking=True)
        [message], [parsed] = _send(communication, content=LINKED)
        html = _html(parsed)
        hrefs = re.findall(r'href="([^"]*)"', html)
        assert click_url(message.pk, "https://acme.example/pay?a=1&b=2") in [
            h.replace("&amp;", "&") for h in hrefs
        ]
        assert not [h for h in hrefs if h.startswith(("https://acme.example", "http://acme"))]
        assert 'href="mailto:help@acme.example"' in html and 'href="#top"' in html
        assert f'src="{open_url(message.pk)}"' in html
        # The text part shows the plain (untracked) addresses after the link labels.
        text = parsed.get_body(preferencelist=("plain",)).get_content()
        assert "pay (https://acme.example/pay?a=1&b=2)" in text
        assert "/e/c/" not in text

        tracked = [h.replace("&amp;", "&") for h in hrefs if "/e/c/" in h]
        assert len(tracked) == 2
        response = client.get(_path(tracked[0]))
        assert response.status_code == 302
        assert response["Location"] == "https://acme.example/pay?a=1&b=2"
        response = client.get(_path(tracked[1]))
        assert response["Location"] == "http://acme.example/help"
        clicks = message.events.filter(kind=DeliveryEvent.Kind.CLICKED)
        assert [e.detail["url"] for e in clicks] == [
            "https://acme.example/pay?a=1&b=2",
            "http://acme.example/help",
        ]

    def test_opens_are_one_event_per_message_with_a_count(self, client):
        communication = CommunicationFactory(email_tracking=True)
        [message], _ = _send(communication, content=LINKED)
        for _ in range(3):
            response = client.get(_path(open_url(message.pk)))
            assert response.status_code == 200 and response["Content-Type"] == "image/gif"
        [event] = message.events.filter(kind=DeliveryEvent.Kind.OPENED)
        assert event.detail == {"count": 3}

    def test_a_click_token_cannot_be_pointed_elsewhere(self, client):
        communication = CommunicationFactory(email_tracking=True)
        [message], _ = _send(communication, content=LINKED)
        token = _path(click_url(message.pk, "https://acme.example/pay")).split("/")[-2]
        evil = _path(click_url(message.pk, "https://evil.example/")).split("/")[-2]
        # The evil target's payload with the good link's signature.
        spliced = evil.rsplit(":", 1)[0] + ":" + token.rsplit(":", 1)[1]
        assert client.get(f"/e/c/{spliced}/").status_code == 404
        assert client.get(f"/e/o/{token}/").status_code == 200  # pixel, but no open
        assert not message.events.filter(
            kind__in=[DeliveryEvent.Kind.CLICKED, DeliveryEvent.Kind.OPENED]
        ).exists()

    def test_tracking_is_off_by_default(self):
        _, [parsed] = _send(CommunicationFactory(), content=LINKED)
        html = _html(parsed)
        assert 'href="https://acme.example/pay?a=1&amp;b=2"' in html
        assert "/e/o/" not in html and "/e/c/" not in html

    def test_regulatory_mail_is_never_tracked(self):
        communication = CommunicationFactory(
            category=Communication.Category.REGULATORY, email_tracking=True
        )
        with pytest.raises(ValidationError) as err:
            communication.full_clean()
        assert "email_tracking" in err.value.message_dict
        # Even with the flag forced on, nothing is rewritten.
        _, [parsed] = _send(communication, content=LINKED)
        assert "/e/c/" not in _html(parsed) and "/e/o/" not in _html(parsed)


class HeaderTests:
    def test_japanese_subject_and_names_are_encoded_and_read_back(self):
        brand = BrandFactory(name="日本ブランド", email_from_name="アクメ電力")
        communication = CommunicationFactory(brand=brand)
        version_content = {
            **CONTENT,
            ("email", "ja"): {
                **CONTENT[("email", "ja")],
                "subject": "お支払いのお願い、{{ first_name }}様",
            },
        }
        messages, parsed = _send(
            communication, count=2, locale="ja", content=version_content, name="山田 太郎"
        )
        for sent in mail.outbox:
            raw = sent.message().as_bytes(linesep="\r\n")
            head = raw.split(b"\r\n\r\n", 1)[0]
            # Headers travel as 7-bit ASCII: encoded words, never raw UTF-8.
            head.decode("ascii")
            assert b"=?utf-8?" in head.lower()
        for message, email_ in zip(messages, parsed, strict=True):
            assert email_["Subject"] == "お支払いのお願い、Alex様"
            assert email_["From"].addresses[0].display_name == "アクメ電力"
            assert email_["To"].addresses[0].display_name == "山田 太郎"
            assert email_["Message-ID"] == message.message_id
        assert len({m.message_id for m in messages}) == 2
        assert all(re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", m.message_id) for m in messages)


class CommunicationSettingsTests:
    def test_the_email_settings_are_set_through_the_service_and_tracking_refused_for_regulatory(
        self,
    ):
        from templates_store import services as store

        author = UserFactory()
        communication = store.communication_create(
            key="newsletter",
            name="Newsletter",
            category=Communication.Category.MARKETING,
            brand=BrandFactory(),
            author=author,
            email_reply_to="news@acme.example",
            email_attach_letter=True,
            email_tracking=True,
        )
        communication.refresh_from_db()
        assert communication.email_reply_to_address == "news@acme.example"
        assert communication.email_attach_letter and communication.tracks_email
        with pytest.raises(ValidationError) as err:
            store.communication_update(
                communication=communication, category=Communication.Category.REGULATORY
            )
        assert "email_tracking" in err.value.message_dict
        store.communication_update(communication=communication, email_tracking=False)
        communication.refresh_from_db()
        assert not communication.tracks_email


class CssAndTextTests:
    def _email(self, body: str):
        from rendering.render import render_content

        return render_content(
            channel="email",
            locale="en",
            brand=BrandFactory(),
            subject="Hi",
            body_html=body,
            body_text="",
            data={},
        )

    def test_style_rules_become_style_attributes_and_media_queries_stay(self):
        rendered = self._email(
            "<style>p.note { color: #c00000 } @media (max-width: 600px) { p { font-size: 18px } }"
            '</style><p class="note">Read this</p>'
        )
        assert re.search(r'<p class="note" style="[^"]*color: #c00000', rendered.html)
        assert "p.note" not in rendered.html
        assert "@media (max-width: 600px)" in rendered.html
        assert rendered.text == "Read this"

    def test_the_text_part_carries_link_addresses(self):
        rendered = self._email(
            '<p>Pay <a href="https://acme.example/pay?a=1&amp;b=2">here</a> or see '
            '<a href="https://acme.example/">https://acme.example/</a> or '
            '<a href="mailto:help@acme.example">write</a>.</p>'
        )
        assert rendered.text == (
            "Pay here (https://acme.example/pay?a=1&b=2) or see https://acme.example/ or write."
        )
