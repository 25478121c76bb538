"""Email, SMS and print backends, their send rates, webhooks and the local mailbox."""

from pathlib import Path
from typing import Any

from ccm.env import env_bool, env_int, env_list, env_str

from .celery import CELERY_BROKER_URL
from .paths import VAR_DIR

# BACKENDS -----------------------------------------------------------------------------
CCM_DEFAULT_FROM_EMAIL = env_str("CCM_DEFAULT_FROM_EMAIL", "notifications@example.com")
# Email goes through Django's mail backends (SMTP by default; any django-anymail ESP).
# https://docs.djangoproject.com/en/5.2/topics/email/#smtp-backend
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "channels.backends.email.SmtpBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 1025)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = CCM_DEFAULT_FROM_EMAIL

# SMS and print backends use one settings shape, like STORAGES.
# RATE_LIMIT: messages a second for this backend, shared by all workers (0 = unlimited).
# SENDER_RATE_LIMITS: messages a second per sender id, "*" for any other sender.
# The backends (HTTP providers, Kannel) and their OPTIONS: docs/channels.md.
SMS_BACKENDS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": env_str("CCM_SMS_BACKEND", "channels.backends.sms.file.SmsBackend"),
        "OPTIONS": {"directory": env_str("CCM_SMS_DIR", str(VAR_DIR / "sms"))},
        "RATE_LIMIT": float(env_str("CCM_SMS_RATE_LIMIT", "0")),
        "SENDER_RATE_LIMITS": {"*": float(env_str("CCM_SMS_SENDER_RATE_LIMIT", "0"))},
    }
}
# Regions (ISO 3166 codes, e.g. "JP,GB") an SMS may go to, by the recipient's number;
# empty: any. Against SMS pumping: a number elsewhere fails for good, with the reason.
CCM_SMS_ALLOWED_COUNTRIES = [c.upper() for c in env_list("CCM_SMS_ALLOWED_COUNTRIES", "")]
# Test sends from the studio (docs/studio.md#test-sends), per user, "<count>/<sec|min|hour|day>":
# tests of any channel, and SMS codes that verify a designer's phone. Counted on TestSendLog.
CCM_TEST_SEND_RATE_LIMIT = env_str("CCM_TEST_SEND_RATE_LIMIT", "30/hour")
CCM_PHONE_VERIFICATION_RATE_LIMIT = env_str("CCM_PHONE_VERIFICATION_RATE_LIMIT", "5/hour")
# The sender id of test SMS and verification codes (not a brand's). With
# CCM_TEST_SMS_BRAND_SENDER on, test SMS go from the communication's own sender id.
CCM_TEST_SMS_SENDER = env_str("CCM_TEST_SMS_SENDER", "TEST")
CCM_TEST_SMS_BRAND_SENDER = env_bool("CCM_TEST_SMS_BRAND_SENDER", False)
PRINT_BACKENDS = {
    "default": {
        "BACKEND": env_str("CCM_PRINT_BACKEND", "channels.backends.printing.storage.PrintBackend"),
        "OPTIONS": {"storage": "print"},
    }
}
# Send rates shared by all workers through Redis (messages a second; 0 = unlimited).
# Without a Redis URL the limit holds per worker process.
CCM_RATE_LIMIT_REDIS_URL = env_str(
    "CCM_RATE_LIMIT_REDIS_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)
CCM_EMAIL_RATE_LIMIT = float(env_str("CCM_EMAIL_RATE_LIMIT", "0"))
# Shared secret in the SMS delivery-report URL (/webhooks/sms/dlr/<token>/); empty = off.
CCM_SMS_DLR_TOKEN = env_str("CCM_SMS_DLR_TOKEN", "")
# Networks that webhook calls may reach although internal (docs/security.md#outbound-requests),
# e.g. "10.20.0.0/16,192.0.2.7:8443"; empty: only public addresses.
CCM_OUTBOUND_ALLOWED_NETWORKS = env_list("CCM_OUTBOUND_ALLOWED_NETWORKS", "")
# django-anymail: ESP credentials and the tracking webhooks' basic-auth secret.
# https://anymail.dev/en/stable/installation/#configuring-tracking-and-inbound-webhooks
ANYMAIL = {"WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET", "")}
# The local SMTP sink of `make run` keeps every email it receives here.
CCM_MAILBOX_DIR = Path(env_str("CCM_MAILBOX_DIR", str(VAR_DIR / "mail")))
# The /mailbox/ page showing that folder: on with DEBUG, or with this (e.g. on staging).
CCM_MAILBOX_ENABLED = env_bool("CCM_MAILBOX_ENABLED", False)
