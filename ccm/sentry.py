"""Optional error reporting to Sentry, on when SENTRY_DSN is set, with personal data removed.

Nothing personal is collected on purpose (``data_collection``: no user, cookies, query
strings, database query parameters or request bodies), and ``before_send`` replaces every
email address and phone number left in the event (messages, exception values, breadcrumbs,
local variables) before it leaves.
"""

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentry_sdk._types import DataCollectionUserOptions

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# International (+ or 00), national (a leading 0) with the usual separators, or a bare run
# of 10 to 15 digits; dates, times, versions and short ids do not match.
PHONE = re.compile(
    r"(?<![\w.:/-])(?:"
    r"(?:\+|00)\d(?:[\s().-]{0,2}\d){6,14}"
    r"|\(?0\d{1,4}\)?[\s.-]?\d{2,4}[\s.-]?\d{3,4}"
    r"|\d{10,15}"
    r")(?![\w:-])"
)
EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"


def scrub_text(text: str) -> str:
    return PHONE.sub(PHONE_MASK, EMAIL.sub(EMAIL_MASK, text))


def scrub(value: Any) -> Any:
    """``value`` with every email address and phone number in its strings masked."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(item) for item in value)
    return value


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    event = scrub(event)
    # The user, if any integration added one, says who: keep no more than an id.
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    return event


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    return scrub(crumb)  # type: ignore[no-any-return]


# What integrations collect on their own: no user identity, cookies, request bodies, query
# strings (archive searches carry addresses) or database query parameters. What is still
# collected (messages, stack variables, headers through Sentry's own denylist) goes through
# ``before_send``. https://docs.sentry.io/platforms/python/configuration/options/#data_collection
PERSONAL_DATA_OFF: "DataCollectionUserOptions" = {
    "user_info": False,
    "cookies": {"mode": "off"},
    "http_bodies": [],
    "url_query_params": {"mode": "off"},
    "database_query_data": False,
}


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    """Start reporting Django and Celery errors to ``dsn``."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        data_collection=PERSONAL_DATA_OFF,
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,  # type: ignore[arg-type]
        before_breadcrumb=before_breadcrumb,  # type: ignore[arg-type]
    )
