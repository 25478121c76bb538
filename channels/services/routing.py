"""Which channel and locale a recipient row gets, and whether its data is acceptable."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.validators import validator_for

from customers.models import Customer
from templates_store.models import TemplateVersion

DEFAULT_PREFERENCE = ("email", "sms", "print")


class RowError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Route:
    channel: str
    locale: str
    recipient: str
    recipient_name: str


def _contact_for(channel: str, contacts: Mapping[str, str]) -> str:
    return {"email": contacts.get("email", ""), "sms": contacts.get("phone", ""),
            "print": contacts.get("address", "")}[channel].strip()


def route_choose(
    *,
    version: TemplateVersion,
    customer: Customer | None,
    row: Mapping[str, Any],
    available: Mapping[str, set[str]],
) -> Route:
    """Pick the first channel, in the recipient's order of preference, that the version
    has content for and the recipient has a contact point for. ``available`` maps each
    channel of the version to its locales. Raises RowError."""
    contacts = {
        "email": str(row.get("email") or (customer.email if customer else "")),
        "phone": str(row.get("phone") or (customer.phone if customer else "")),
        "address": str(row.get("address") or (customer.postal_address if customer else "")),
    }
    name = str(row.get("name") or (customer.name if customer else ""))
    wanted_locale = str(row.get("locale") or (customer.locale if customer else "") or "en")
    if row.get("channel"):
        preference: list[str] = [str(row["channel"])]
        if preference[0] not in DEFAULT_PREFERENCE:
            raise RowError("channel", f"unknown channel {preference[0]!r} (email, sms or print)")
    elif customer is not None and customer.channel_preference:
        preference = list(customer.channel_preference)
    else:
        preference = list(DEFAULT_PREFERENCE)
    for channel in preference:
        if channel not in available:
            continue
        contact = _contact_for(channel, contacts)
        if not contact:
            continue
        locales = available[channel]
        locale = wanted_locale if wanted_locale in locales else ("en" if "en" in locales else sorted(locales)[0])
        return Route(channel=channel, locale=locale, recipient=contact, recipient_name=name)
    tried = ", ".join(ch for ch in preference if ch in available) or "none of the communication's channels"
    raise RowError("recipient", f"no contact point for any allowed channel (tried: {tried})")


def data_validate(*, schema: Mapping[str, Any], data: Any) -> None:
    """Check ``data`` against the communication's JSON Schema. Raises RowError naming the field."""
    if not isinstance(data, dict):
        raise RowError("data", "must be an object")
    if not schema:
        return
    validator = validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        path = ".".join(str(p) for p in error.absolute_path)
        raise RowError(f"data.{path}" if path else "data", error.message)
