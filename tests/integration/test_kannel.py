"""The Kannel backend against a real Kannel with its fake SMSC, delivery reports included."""

import time
from urllib.parse import unquote_plus, unquote_to_bytes

import pytest

from channels.backends.sms.base import SmsMessage
from channels.backends.sms.kannel import SmsBackend
from channels.exceptions import BackendConfigurationError
from channels.models import DeliveryEvent, Message
from tests.factories.templates_store import published_version
from tests.integration.kannel import PASSWORD, USERNAME, Kannel, kannel_running

pytestmark = pytest.mark.integration

TOKEN = "dlr-token-for-tests"


@pytest.fixture
def kannel(tmp_path):
    yield from kannel_running(tmp_path)


def _wait_for(condition, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _sent_message(reference: str, to: str) -> Message:
    return Message.objects.create(
        version=published_version(),
        channel="sms",
        locale="en",
        recipient=to,
        status=Message.Status.SENT,
        message_id=reference,
        provider_message_id=reference,
    )


def _backend(server: Kannel, **options) -> SmsBackend:
    return SmsBackend(
        alias="kannel", url=server.sendsms_url, username=USERNAME, password=PASSWORD, **options
    )


class KannelBackendTests:
    def test_an_sms_reaches_the_smsc_and_its_delivery_report_comes_back(
        self, kannel, live_server, settings
    ):
        settings.CCM_SMS_DLR_TOKEN = TOKEN
        settings.CCM_BASE_URL = live_server.url
        # A reference with the characters of a Message-ID, which a URL must escape.
        reference = "<20261123091500.42@ccm.example.com>"
        message = _sent_message(reference, "+447700900123")
        backend = _backend(kannel)
        backend.open()
        try:
            (result,) = backend.send(
                [
                    SmsMessage(
                        to="+447700900123",
                        sender="AcmeEnergy",
                        text="Your bill: 12€ {due}",
                        reference=reference,
                    )
                ]
            )
        finally:
            backend.close()
        assert result.provider_message_id == reference
        (received,) = _wait_for(kannel.received, "the fake SMSC to get the SMS")
        sender, to, kind, text = received.split(" ", 3)
        assert (sender, to, kind) == ("AcmeEnergy", "+447700900123", "text")
        assert unquote_plus(text) == "Your bill: 12€ {due}"
        event = _wait_for(
            lambda: DeliveryEvent.objects.filter(
                message=message, kind=DeliveryEvent.Kind.DELIVERED
            ).first(),
            "the delivery report",
        )
        assert event.detail["gateway_status"] == "1"
        message.refresh_from_db()
        assert message.status == Message.Status.DELIVERED

    def test_japanese_goes_as_ucs2_in_concatenated_parts(self, kannel, live_server, settings):
        settings.CCM_SMS_DLR_TOKEN = TOKEN
        settings.CCM_BASE_URL = live_server.url
        text = "お支払いの期限が近づいています。" * 6  # 96 characters: two UCS-2 parts
        message = _sent_message("ref-ja-1", "+819012345678")
        _backend(kannel).send(
            [SmsMessage(to="+819012345678", sender="Acme", text=text, reference="ref-ja-1")]
        )
        parts = _wait_for(lambda: len(kannel.received()) == 2 and kannel.received(), "two parts")
        fields = [part.split(" ") for part in parts]
        # "<from> <to> udh <concatenation header> data <UCS-2 big-endian, URL-encoded>"
        assert [f[2] for f in fields] == ["udh", "udh"] and [f[4] for f in fields] == ["data"] * 2
        assert [f[3][-6:] for f in fields] == ["%02%01", "%02%02"]  # part 1 of 2, 2 of 2
        payloads = [unquote_to_bytes(f[5].replace("+", " ")) for f in fields]
        assert len(payloads[0]) == 67 * 2  # 67 UCS-2 characters in a concatenated part
        assert b"".join(payloads).decode("utf-16-be") == text
        _wait_for(
            lambda: Message.objects.filter(pk=message.pk, status=Message.Status.DELIVERED).exists(),
            "the delivery report",
        )

    def test_wrong_credentials_are_a_configuration_error(self, kannel):
        backend = SmsBackend(
            alias="kannel", url=kannel.sendsms_url, username=USERNAME, password="wrong", dlr_url=""
        )
        with pytest.raises(BackendConfigurationError, match="HTTP 403"):
            backend.send([SmsMessage(to="+447700900123", sender="Acme", text="x", reference="r")])
        assert kannel.received() == []
