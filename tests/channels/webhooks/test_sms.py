import pytest

from channels.backends.sms.base import SmsMessage
from channels.backends.sms.kannel import SmsBackend, decode_reference, encode_reference
from channels.models import DeliveryEvent, Message
from tests.factories.templates_store import published_version

pytestmark = pytest.mark.django_db
TOKEN = "t0ken"
REFERENCE = "<20261123.7@ccm.example.com>"


def _message() -> Message:
    return Message.objects.create(
        version=published_version(),
        channel="sms",
        locale="en",
        recipient="+447400123456",
        status=Message.Status.SENT,
        message_id=REFERENCE,
    )


class KannelDeliveryReportTests:
    @pytest.fixture(autouse=True)
    def _token(self, settings):
        settings.CCM_SMS_DLR_TOKEN = TOKEN

    def test_the_reference_survives_the_round_trip_without_percent_signs(self):
        encoded = encode_reference(REFERENCE)
        assert "%" not in encoded and "=" not in encoded
        assert decode_reference(encoded) == REFERENCE

    def test_the_backend_asks_kannel_for_final_reports_at_the_platforms_url(self, settings):
        settings.CCM_BASE_URL = "https://ccm.example.com"
        backend = SmsBackend(
            alias="k", url="http://kannel/cgi-bin/sendsms", username="u", password="p"
        )
        params = backend.params(
            SmsMessage(to="+81901", sender="Acme", text="あ", reference=REFERENCE)
        )
        assert params["coding"] == "2" and params["charset"] == "UTF-8"
        assert params["dlr-mask"] == "19"
        assert params["dlr-url"] == (
            f"https://ccm.example.com/webhooks/sms/dlr/{TOKEN}/?ref={encode_reference(REFERENCE)}"
            "&status=%d&smsc_reply=%A"
        )

    def test_a_failed_report_fails_the_message_with_the_smsc_reply(self, client):
        message = _message()
        response = client.get(
            f"/webhooks/sms/dlr/{TOKEN}/",
            {
                "ref": encode_reference(REFERENCE),
                "status": "16",
                "smsc_reply": "NACK/0x0b/Invalid Destination",
            },
        )
        assert response.status_code == 200
        message.refresh_from_db()
        assert message.status == Message.Status.FAILED
        event = message.events.get(kind=DeliveryEvent.Kind.FAILED)
        assert event.detail == {"reason": "NACK/0x0b/Invalid Destination", "gateway_status": "16"}

    def test_intermediate_reports_are_acknowledged_and_not_recorded(self, client):
        message = _message()
        for status in ("4", "8"):
            response = client.get(
                f"/webhooks/sms/dlr/{TOKEN}/",
                {"ref": encode_reference(REFERENCE), "status": status},
            )
            assert response.status_code == 200
        assert not message.events.exists()

    def test_a_ref_that_is_not_base64_is_a_bad_request(self, client):
        response = client.get(f"/webhooks/sms/dlr/{TOKEN}/", {"ref": "%%%", "status": "1"})
        assert response.status_code == 400


class DeliveryReportTokenTests:
    def test_a_wrong_token_of_any_spelling_is_a_404_and_records_nothing(self, client, settings):
        settings.CCM_SMS_DLR_TOKEN = TOKEN
        message = _message()
        for token in ["wrong", "t0ke", "t0ken0", "t%C3%B6ken", "%E3%81%82"]:
            response = client.get(
                f"/webhooks/sms/dlr/{token}/", {"reference": REFERENCE, "status": "2"}
            )
            assert response.status_code == 404, token
        message.refresh_from_db()
        assert message.status == Message.Status.SENT
        assert not DeliveryEvent.objects.filter(message=message).exists()

    def test_without_a_configured_token_reports_are_off(self, client, settings):
        settings.CCM_SMS_DLR_TOKEN = ""
        _message()
        response = client.get("/webhooks/sms/dlr/x/", {"reference": REFERENCE, "status": "1"})
        assert response.status_code == 404
