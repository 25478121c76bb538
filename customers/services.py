"""Writes for customers: bulk upsert, consent and suppression."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from customers.contact_points import email_normalise, phone_normalise, suppression_key
from customers.models import Consent, Customer, Suppression

CHANNELS = ("email", "sms", "print")
CATEGORIES = ("transactional", "regulatory", "marketing")
_FIELDS = ("name", "locale", "timezone", "email", "phone", "postal_address", "channel_preference")


def _clean(row: Mapping[str, Any]) -> tuple[str, dict[str, Any], dict[str, bool]]:
    """Validate one customer row; returns (external_id, fields, consents). Raises
    ValidationError keyed by the field."""
    if not isinstance(row, Mapping):
        raise ValidationError({"row": "must be an object"})
    external_id = str(row.get("external_id") or "").strip()
    if not external_id:
        raise ValidationError({"external_id": "is required"})
    fields: dict[str, Any] = {k: row[k] for k in _FIELDS if k in row}
    if fields.get("email"):
        try:
            fields["email"] = email_normalise(str(fields["email"]))
        except ValidationError as exc:
            raise ValidationError(
                {"email": f"{fields['email']!r} is not an email address"}
            ) from exc
    if fields.get("phone"):
        try:
            fields["phone"] = phone_normalise(str(fields["phone"]))
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages[0]}) from exc
    if "locale" in fields and fields["locale"] not in dict(settings.LANGUAGES):
        raise ValidationError(
            {"locale": f"{fields['locale']!r} is not one of {', '.join(dict(settings.LANGUAGES))}"}
        )
    if "channel_preference" in fields:
        preference = fields["channel_preference"]
        if not isinstance(preference, list) or any(c not in CHANNELS for c in preference):
            raise ValidationError({"channel_preference": "a list of email, sms, print"})
    if "postal_address" in fields and isinstance(fields["postal_address"], list):
        fields["postal_address"] = "\n".join(str(line) for line in fields["postal_address"])
    consents = row.get("consents") or {}
    if not isinstance(consents, Mapping) or any(
        c not in CATEGORIES or not isinstance(v, bool) for c, v in consents.items()
    ):
        raise ValidationError({"consents": 'an object like {"marketing": true}'})
    return external_id, fields, dict(consents)


def customer_upsert_many(
    *, rows: Iterable[Mapping[str, Any]], source: str = "api"
) -> dict[str, Any]:
    """Create or update customers by ``external_id``. Each bad row is reported with its
    number, field and reason; the others are saved. Returns counts and errors."""
    created = updated = 0
    errors: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        try:
            external_id, fields, consents = _clean(row)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.append({"row": number, "field": field, "reason": messages[0]})
            continue
        with transaction.atomic():
            customer, was_created = Customer.objects.update_or_create(
                external_id=external_id, defaults=fields
            )
            for category, granted in consents.items():
                consent_set(customer=customer, category=category, granted=granted, source=source)
        created += was_created
        updated += not was_created
    return {"created": created, "updated": updated, "errors": errors}


def consent_set(*, customer: Customer, category: str, granted: bool, source: str = "") -> Consent:
    consent, _ = Consent.objects.update_or_create(
        customer=customer, category=category, defaults={"granted": granted, "source": source}
    )
    return consent


def suppression_add(*, channel: str, address: str, reason: str, note: str = "") -> Suppression:
    """Never contact ``address`` on ``channel`` again (idempotent)."""
    suppression, _ = Suppression.objects.get_or_create(
        channel=channel,
        address=suppression_key(channel, address),
        defaults={"reason": reason, "note": note},
    )
    return suppression
