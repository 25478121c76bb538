"""Kannel's smsbox ``sendsms`` HTTP interface, with delivery reports.

Each message is one GET to ``/cgi-bin/sendsms``. Kannel converts the UTF-8 text to GSM-7
(``coding=0``) or UCS-2 (``coding=2``), splits it into concatenated parts (set
``concatenation = true`` and ``max-messages`` in the sendsms-user group) and calls the
``dlr-url`` back for the final delivery report, which ``channels/webhooks/sms.py``
records. Kannel returns no message id: the platform's reference is the provider id.

OPTIONS: ``url`` (``http://host:13013/cgi-bin/sendsms``), ``username``, ``password``,
optionally ``smsc`` (route to one SMSC), ``dlr_url`` (default: this platform's
``/webhooks/sms/dlr/<CCM_SMS_DLR_TOKEN>/`` under ``CCM_BASE_URL``; empty: no reports),
``timeout``.
"""

import base64
from typing import Any

from django.conf import settings
from django.urls import reverse

from channels.backends.base import SendResult
from channels.backends.sms.base import SmsMessage
from channels.backends.sms.base_requests import RequestsSmsBackend
from rendering.sms_encoding import UCS2, sms_analyse

# Kannel's DLR types: 1 delivered, 2 failed, 16 rejected by the SMSC (final ones only).
DLR_MASK = 1 | 2 | 16


def encode_reference(reference: str) -> str:
    """The reference in a form that needs no URL escaping: Kannel reads ``%`` in a
    dlr-url as its own placeholders."""
    return base64.urlsafe_b64encode(reference.encode()).decode().rstrip("=")


def decode_reference(value: str) -> str:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()


def default_dlr_url() -> str:
    token = settings.CCM_SMS_DLR_TOKEN
    if not token:
        return ""
    return settings.CCM_BASE_URL.rstrip("/") + reverse("sms-dlr", kwargs={"token": token})


class SmsBackend(RequestsSmsBackend):
    def __init__(self, *, alias: str, **options: Any) -> None:
        super().__init__(alias=alias, **options)
        self.url = self.option("url")
        self.username = self.option("username")
        self.password = self.option("password")
        self.smsc = self.option("smsc", "")
        configured = self.option("dlr_url", None)
        self.dlr_url: str = default_dlr_url() if configured is None else configured

    def params(self, message: SmsMessage) -> dict[str, str]:
        info = sms_analyse(message.text)
        params = {
            "username": self.username,
            "password": self.password,
            "from": message.sender,
            "to": message.to,
            "text": message.text,
            "charset": "UTF-8",
            "coding": "2" if info.encoding == UCS2 else "0",
        }
        if self.smsc:
            params["smsc"] = self.smsc
        if self.dlr_url:
            separator = "&" if "?" in self.dlr_url else "?"
            params["dlr-mask"] = str(DLR_MASK)
            params["dlr-url"] = (
                f"{self.dlr_url}{separator}ref={encode_reference(message.reference)}"
                "&status=%d&smsc_reply=%A"
            )
        return params

    def send(self, messages: list[SmsMessage]) -> list[SendResult]:
        results = []
        for message in messages:
            response = self.request("GET", self.url, params=self.params(message))
            results.append(
                SendResult(
                    provider_message_id=message.reference,
                    status="sent",
                    raw={"status_code": response.status_code, "body": response.text[:200]},
                )
            )
        return results
