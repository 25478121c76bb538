import socket

import pytest
from django.core.exceptions import ImproperlyConfigured

from channels.backends.sms.base import SmsMessage
from channels.backends.sms.http import SmsBackend
from channels.exceptions import BackendConfigurationError, DeliveryError
from tests.channels.backends.sms.provider_server import ProviderServer

JP = SmsMessage(to="+819012345678", sender="AcmeEnergy", text="お支払い期限です", reference="r-1")
EN = SmsMessage(to="+447700900123", sender="AcmeEnergy", text="Pay {now} €5", reference="r-2")


class TwilioPresetTests:
    def test_it_posts_a_form_with_basic_auth_and_reads_the_sid(self, provider_server):
        provider_server.answer(201, {"sid": "SM123", "status": "queued"})
        backend = SmsBackend(
            alias="twilio",
            preset="twilio",
            url=provider_server.url + "/2010-04-01/Accounts/{account_sid}/Messages.json",
            params={"account_sid": "AC42", "auth_token": "tok"},
        )
        (result,) = backend.send([EN])
        (request,) = provider_server.received
        assert request.method == "POST"
        assert request.path == "/2010-04-01/Accounts/AC42/Messages.json"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert request.form == {"To": "+447700900123", "From": "AcmeEnergy", "Body": "Pay {now} €5"}
        # "AC42:tok" in base64.
        assert request.headers["authorization"] == "Basic QUM0Mjp0b2s="
        assert result.provider_message_id == "SM123"


class VonagePresetTests:
    def _backend(self, server: ProviderServer) -> SmsBackend:
        return SmsBackend(
            alias="vonage",
            preset="vonage",
            url=server.url + "/sms/json",
            params={"api_key": "k", "api_secret": "s"},
        )

    def test_unicode_text_is_sent_as_unicode_with_the_reference(self, provider_server):
        provider_server.answer(
            200, {"message-count": "1", "messages": [{"status": "0", "message-id": "V1"}]}
        )
        (result,) = self._backend(provider_server).send([JP])
        form = provider_server.received[0].form
        assert form["type"] == "unicode" and form["to"] == "819012345678"
        assert form["text"] == JP.text and form["client-ref"] == "r-1"
        assert form["api_key"] == "k" and form["api_secret"] == "s"
        assert result.provider_message_id == "V1"

    def test_gsm_text_is_sent_as_text(self, provider_server):
        provider_server.answer(200, {"messages": [{"status": "0", "message-id": "V2"}]})
        self._backend(provider_server).send([EN])
        assert provider_server.received[0].form["type"] == "text"

    def test_an_error_inside_a_200_answer_fails_permanently(self, provider_server):
        provider_server.answer(
            200, {"messages": [{"status": "6", "error-text": "Unroutable message"}]}
        )
        with pytest.raises(DeliveryError, match="Unroutable message") as caught:
            self._backend(provider_server).send([EN])
        assert caught.value.permanent

    def test_throttling_inside_a_200_answer_is_transient(self, provider_server):
        provider_server.answer(200, {"messages": [{"status": "1", "error-text": "Throttled"}]})
        with pytest.raises(DeliveryError) as caught:
            self._backend(provider_server).send([EN])
        assert not caught.value.permanent


class GenericHttpTests:
    def _json_backend(self, server: ProviderServer, **extra) -> SmsBackend:
        options = {
            "url": server.url + "/v1/messages",
            "body": "json",
            "auth": "bearer",
            "token": "{api_token}",
            "params": {"api_token": "secret-token", "priority": 5},
            "fields": {
                "recipient": "{to}",
                "originator": "{sender}",
                "body": "{text}",
                "priority": "{priority}",
                "meta": {"static": True},
                "label": "ref {reference} ({encoding}, {segments} part)",
            },
            "id_path": "data.0.id",
            **extra,
        }
        return SmsBackend(alias="generic", **options)

    def test_a_json_body_keeps_value_types_and_fills_templates(self, provider_server):
        provider_server.answer(202, {"data": [{"id": "abc"}]})
        (result,) = self._json_backend(provider_server).send([JP])
        request = provider_server.received[0]
        assert request.headers["authorization"] == "Bearer secret-token"
        assert request.json == {
            "recipient": "+819012345678",
            "originator": "AcmeEnergy",
            "body": "お支払い期限です",
            "priority": 5,
            "meta": {"static": True},
            "label": "ref r-1 (UCS-2, 1 part)",
        }
        assert result.provider_message_id == "abc"

    def test_a_query_get_with_a_header_token(self, provider_server):
        backend = SmsBackend(
            alias="q",
            url=provider_server.url + "/send",
            method="GET",
            body="query",
            auth="header",
            header_name="X-Api-Key",
            token="k1",
            fields={"to": "{to_digits}", "msg": "{text}", "unicode": "{unicode}"},
        )
        (result,) = backend.send([EN])
        request = provider_server.received[0]
        assert request.method == "GET" and request.headers["x-api-key"] == "k1"
        assert request.query == {
            "to": ["447700900123"],
            "msg": ["Pay {now} €5"],
            "unicode": ["false"],
        }
        # No id in the answer: the platform's reference stands for it.
        assert result.provider_message_id == "r-2"

    def test_one_connection_carries_a_whole_chunk(self, provider_server):
        backend = self._json_backend(provider_server)
        backend.open()
        try:
            backend.send([JP, EN, JP])
        finally:
            backend.close()
        assert len(provider_server.received) == 3
        assert len({r.client_port for r in provider_server.received}) == 1

    @pytest.mark.parametrize(
        ("status", "permanent", "error"),
        [
            (500, False, DeliveryError),
            (503, False, DeliveryError),
            (429, False, DeliveryError),
            (400, True, DeliveryError),
            (404, True, DeliveryError),
            (401, False, BackendConfigurationError),
            (403, False, BackendConfigurationError),
        ],
    )
    def test_http_errors_are_classified(self, provider_server, status, permanent, error):
        provider_server.answer(status, {"error": "nope"})
        with pytest.raises(error, match=f"HTTP {status}") as caught:
            self._json_backend(provider_server).send([EN])
        assert caught.value.permanent is permanent

    def test_an_unreachable_provider_is_a_transient_error(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        backend = SmsBackend(alias="down", url=f"http://127.0.0.1:{port}/", fields={"to": "{to}"})
        with pytest.raises(DeliveryError) as caught:
            backend.send([EN])
        assert not caught.value.permanent

    def test_a_template_naming_an_unknown_value_says_which_setting_to_add(self, provider_server):
        backend = SmsBackend(alias="bad", url=provider_server.url, fields={"key": "{api_key}"})
        with pytest.raises(
            ImproperlyConfigured,
            match=r'fields\[\'key\'\] uses \{api_key\}; add "api_key" to "params"',
        ):
            backend.send([EN])

    def test_an_unknown_preset_is_named(self):
        with pytest.raises(ImproperlyConfigured, match="unknown preset 'nexmo'"):
            SmsBackend(alias="x", preset="nexmo")

    def test_a_missing_url_names_the_setting(self):
        with pytest.raises(ImproperlyConfigured, match=r'Add "url" to SMS_BACKENDS\["x"\]'):
            SmsBackend(alias="x", fields={})
