"""A generic HTTP SMS provider: the request and the reading of the answer are settings.

OPTIONS (a ``preset`` fills them for a common provider; any option given overrides it):

- ``url``: may hold placeholders, e.g. ``https://api.example/{account_sid}/Messages``.
- ``method``: ``POST`` (default) or ``GET``.
- ``body``: ``json``, ``form`` (default) or ``query``.
- ``auth``: ``none`` (default), ``basic`` (``username``, ``password``), ``bearer``
  (``token``) or ``header`` (``header_name``, ``token``).
- ``fields``: parameter name -> template. Templates are ``str.format`` strings over the
  message (``{to}``, ``{to_digits}`` without the +, ``{sender}``, ``{text}``,
  ``{reference}``, ``{encoding}``: GSM-7 or UCS-2, ``{unicode}``: true/false,
  ``{segments}``) and over ``params``; a template that is exactly ``{name}`` keeps the
  value's type in a JSON body.
- ``params``: account values the templates use (API keys, account ids).
- ``headers``: extra headers (templates allowed).
- ``id_path``: where the provider's message id is in the JSON answer (``sid``,
  ``messages.0.message-id``); without it the platform's reference is used.
- ``status_path``, ``success_values``, ``transient_values``, ``error_path``: for
  providers that answer 200 with an error inside (Vonage): a status not in
  ``success_values`` fails the message, transiently when in ``transient_values``.
"""

import string
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from channels.backends.base import SendResult
from channels.backends.sms.base import SmsMessage
from channels.backends.sms.base_requests import RequestsSmsBackend
from channels.exceptions import DeliveryError
from rendering.sms_encoding import UCS2, sms_analyse

PRESETS: dict[str, dict[str, Any]] = {
    # https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
    "twilio": {
        "url": "https://api.twilio.com/2010-04-01/Accounts/{account_sid}/Messages.json",
        "method": "POST",
        "body": "form",
        "auth": "basic",
        "username": "{account_sid}",
        "password": "{auth_token}",
        "fields": {"To": "{to}", "From": "{sender}", "Body": "{text}"},
        "id_path": "sid",
    },
    # https://developer.vonage.com/en/api/sms#send-an-sms
    "vonage": {
        "url": "https://rest.nexmo.com/sms/json",
        "method": "POST",
        "body": "form",
        "auth": "none",
        "fields": {
            "api_key": "{api_key}",
            "api_secret": "{api_secret}",
            "to": "{to_digits}",
            "from": "{sender}",
            "text": "{text}",
            "type": "{vonage_type}",
            "client-ref": "{reference}",
        },
        "id_path": "messages.0.message-id",
        "status_path": "messages.0.status",
        "success_values": ["0"],
        # 1: throttled; 5: internal error at Vonage.
        "transient_values": ["1", "5"],
        "error_path": "messages.0.error-text",
    },
    # https://www.plivo.com/docs/messaging/api/message#send-a-message
    "plivo": {
        "url": "https://api.plivo.com/v1/Account/{auth_id}/Message/",
        "method": "POST",
        "body": "json",
        "auth": "basic",
        "username": "{auth_id}",
        "password": "{auth_token}",
        "fields": {"src": "{sender}", "dst": "{to_digits}", "text": "{text}"},
        "id_path": "message_uuid.0",
    },
}

_FORMATTER = string.Formatter()


def _lookup(document: Any, path: str) -> Any:
    """``a.0.b`` in a JSON document; None when any step is missing."""
    for step in path.split("."):
        if isinstance(document, list) and step.isdigit() and int(step) < len(document):
            document = document[int(step)]
        elif isinstance(document, dict) and step in document:
            document = document[step]
        else:
            return None
    return document


class SmsBackend(RequestsSmsBackend):
    def __init__(self, *, alias: str, **options: Any) -> None:
        preset_name = options.get("preset")
        if preset_name and preset_name not in PRESETS:
            raise ImproperlyConfigured(
                f'SMS_BACKENDS["{alias}"]["OPTIONS"]["preset"]: unknown preset '
                f"{preset_name!r}; one of {', '.join(sorted(PRESETS))}"
            )
        merged = {**PRESETS.get(preset_name or "", {}), **options}
        super().__init__(alias=alias, **merged)
        self.url = self.option("url")
        self.method = str(self.option("method", "POST")).upper()
        self.body = self.option("body", "form")
        self.auth = self.option("auth", "none")
        self.fields: dict[str, Any] = self.option("fields")
        self.params: dict[str, Any] = self.option("params", {})
        if self.body not in ("json", "form", "query"):
            raise ImproperlyConfigured(f'{self.setting}["OPTIONS"]["body"]: json, form or query')
        if self.auth not in ("none", "basic", "bearer", "header"):
            raise ImproperlyConfigured(
                f'{self.setting}["OPTIONS"]["auth"]: none, basic, bearer or header'
            )

    def _values(self, message: SmsMessage) -> dict[str, Any]:
        info = sms_analyse(message.text)
        unicode = info.encoding == UCS2
        return {
            **self.params,
            "to": message.to,
            "to_digits": message.to.lstrip("+"),
            "sender": message.sender,
            "text": message.text,
            "reference": message.reference,
            "encoding": info.encoding,
            "unicode": "true" if unicode else "false",
            "vonage_type": "unicode" if unicode else "text",
            "segments": info.segments,
        }

    def _fill(self, template: Any, values: dict[str, Any], where: str) -> Any:
        if not isinstance(template, str):
            return template
        parsed = list(_FORMATTER.parse(template))
        if len(parsed) == 1 and parsed[0][0] == "" and parsed[0][1] and not parsed[0][2]:
            # Exactly "{name}": keep the value's own type (numbers stay numbers in JSON).
            name = parsed[0][1]
            if name not in values:
                raise self._unknown(name, where)
            return values[name]
        try:
            return template.format_map(values)
        except KeyError as exc:
            raise self._unknown(str(exc.args[0]), where) from exc

    def _unknown(self, name: str, where: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(
            f'{self.setting}["OPTIONS"]: {where} uses {{{name}}}; add "{name}" to "params"'
        )

    def build_request(self, message: SmsMessage) -> dict[str, Any]:
        """The keyword arguments of the HTTP call for ``message``."""
        values = self._values(message)
        payload = {
            name: self._fill(template, values, f"fields[{name!r}]")
            for name, template in self.fields.items()
        }
        headers = {
            name: str(self._fill(template, values, f"headers[{name!r}]"))
            for name, template in self.option("headers", {}).items()
        }
        kwargs: dict[str, Any] = {"url": str(self._fill(self.url, values, "url"))}
        if self.auth == "basic":
            kwargs["auth"] = (
                str(self._fill(self.option("username"), values, "username")),
                str(self._fill(self.option("password"), values, "password")),
            )
        elif self.auth in ("bearer", "header"):
            token = str(self._fill(self.option("token"), values, "token"))
            if self.auth == "bearer":
                headers["Authorization"] = f"Bearer {token}"
            else:
                headers[self.option("header_name")] = token
        if self.body == "json":
            kwargs["json"] = payload
        elif self.body == "form":
            kwargs["data"] = payload
        else:
            kwargs["params"] = payload
        kwargs["headers"] = headers
        return kwargs

    def _read(self, message: SmsMessage, answer: Any) -> str:
        status_path = self.option("status_path", "")
        if status_path:
            status = str(_lookup(answer, status_path))
            if status not in [str(v) for v in self.option("success_values", [])]:
                error = _lookup(answer, self.option("error_path", "")) or ""
                transient = status in [str(v) for v in self.option("transient_values", [])]
                raise DeliveryError(
                    f"{self.alias}: provider status {status}: {error}"[:500],
                    permanent=not transient,
                )
        id_path = self.option("id_path", "")
        provider_id = _lookup(answer, id_path) if id_path else None
        return str(provider_id) if provider_id not in (None, "") else message.reference

    def send(self, messages: list[SmsMessage]) -> list[SendResult]:
        results = []
        for message in messages:
            kwargs = self.build_request(message)
            response = self.request(self.method, kwargs.pop("url"), **kwargs)
            try:
                answer: Any = response.json()
            except ValueError:
                answer = {}
            provider_id = self._read(message, answer)
            results.append(
                SendResult(
                    provider_message_id=provider_id,
                    raw={"status_code": response.status_code, "body": answer},
                )
            )
        return results
