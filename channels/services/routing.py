"""Which channel and locale a recipient row gets, and whether its data is acceptable.

The channel is the first, in the recipient's order of preference (the row's ``channel``,
else the customer's preference, else email, SMS, print), that the version has content for
and the recipient has a contact point for. Marketing needs the customer's consent; a
suppressed address is skipped for the next channel.
"""

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema
import jsonschema_rs
from django.core.exceptions import ValidationError
from jsonschema.validators import validator_for

from ccm.vocabulary import Channel
from customers.contact_points import email_normalise, phone_normalise, suppression_key
from customers.models import Customer
from templates_store.models import Communication

DEFAULT_PREFERENCE = (Channel.EMAIL, Channel.SMS, Channel.PRINT)


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


class Suppressed(Exception):
    """The recipient may not be contacted; the message is recorded as suppressed."""

    def __init__(self, route: Route, reason: str) -> None:
        super().__init__(reason)
        self.route = route
        self.reason = reason


def _inline_contacts(row: Mapping[str, Any]) -> dict[str, str]:
    contacts = {}
    if row.get("email"):
        try:
            contacts["email"] = email_normalise(str(row["email"]))
        except ValidationError as exc:
            raise RowError("email", f"{row['email']!r} is not an email address") from exc
    if row.get("phone"):
        try:
            contacts["phone"] = phone_normalise(str(row["phone"]))
        except ValidationError as exc:
            raise RowError("phone", exc.messages[0]) from exc
    if row.get("address"):
        address = row["address"]
        contacts["address"] = (
            "\n".join(map(str, address)) if isinstance(address, list) else str(address)
        )
    return contacts


def row_contacts(row: Mapping[str, Any], customer: Customer | None) -> dict[str, str]:
    """The row's contact points, falling back to the customer's. Raises RowError."""
    inline = _inline_contacts(row)
    return {
        "email": inline.get("email") or (customer.email if customer else ""),
        "phone": inline.get("phone") or (customer.phone if customer else ""),
        "address": inline.get("address") or (customer.postal_address if customer else ""),
    }


# The contact point each channel goes to.
_CONTACT_KEYS: dict[str, str] = {
    Channel.EMAIL: "email",
    Channel.SMS: "phone",
    Channel.PRINT: "address",
}


def _contact_for(channel: str, contacts: Mapping[str, str]) -> str:
    return (contacts.get(_CONTACT_KEYS[channel]) or "").strip()


def route_choose(
    *,
    communication: Communication,
    customer: Customer | None,
    row: Mapping[str, Any],
    available: Mapping[str, set[str]],
    consented: bool = False,
    suppressed: Collection[tuple[str, str]] = (),
    exclude: Collection[str] = (),
) -> Route:
    """Pick channel, locale and contact for one recipient. ``available`` maps each channel
    of the version to its locales; ``exclude`` lists channels already tried.
    Raises RowError (the row is refused) or Suppressed (the message must not be sent)."""
    contacts = row_contacts(row, customer)
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
    routes = []
    for channel in preference:
        contact = _contact_for(channel, contacts)
        if channel in available and channel not in exclude and contact:
            locales = available[channel]
            locale = (
                wanted_locale
                if wanted_locale in locales
                else ("en" if "en" in locales else sorted(locales)[0])
            )
            routes.append(
                Route(channel=channel, locale=locale, recipient=contact, recipient_name=name)
            )
    if not routes:
        tried = ", ".join(ch for ch in preference if ch in available and ch not in exclude)
        raise RowError(
            "recipient", f"no contact point for any allowed channel (tried: {tried or 'none'})"
        )
    if communication.category == Communication.Category.MARKETING and not consented:
        raise Suppressed(routes[0], "no consent to marketing")
    for route in routes:
        if (route.channel, suppression_key(route.channel, route.recipient)) not in suppressed:
            return route
    raise Suppressed(routes[0], "every contact point is suppressed")


class DataValidator:
    """A communication's data schema, ready to check the rows of a batch.

    Good rows pass jsonschema-rs (compiled, a hundred times faster); a row it refuses is
    checked again by python-jsonschema, whose best-matching error names the field and the
    reason reported. Formats are not asserted (as python-jsonschema does by default) and
    nothing is fetched for a remote ``$ref``; a schema jsonschema-rs cannot compile is
    checked by python-jsonschema alone.
    """

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._full = validator_for(schema)(schema) if schema else None
        self._fast: Any = None
        if schema:
            try:
                self._fast = jsonschema_rs.validator_for(
                    dict(schema), validate_formats=False, offline=True
                )
            except (jsonschema_rs.ValidationError, ValueError):
                self._fast = None

    def validate(self, data: Any) -> None:
        """Raises RowError naming the field when ``data`` does not match the schema."""
        if not isinstance(data, dict):
            raise RowError("data", "must be an object")
        if self._full is None or (self._fast is not None and self._fast.is_valid(data)):
            return
        error = jsonschema.exceptions.best_match(self._full.iter_errors(data))
        if error is not None:
            path = ".".join(str(p) for p in error.absolute_path)
            raise RowError(f"data.{path}" if path else "data", error.message)


@lru_cache(maxsize=64)
def _data_validator(schema_json: str) -> DataValidator:
    return DataValidator(json.loads(schema_json))


def data_validator(schema: Mapping[str, Any]) -> DataValidator:
    """The validator of ``schema``, built once per schema: get it once for many rows."""
    return _data_validator(json.dumps(schema, sort_keys=True))
