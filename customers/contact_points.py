"""Normalising contact points: E.164 phone numbers, lower-cased email addresses."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ccm.vocabulary import Channel


def phone_normalise(value: str, *, region: str | None = None) -> str:
    """The E.164 form of ``value``. Raises ValidationError naming the problem."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            f"{value!r} is not a phone number ({exc}); "
            "use the international form, e.g. +447911123456."
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"{value!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_normalise(value: str) -> str:
    value = value.strip()
    validate_email(value)
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def suppression_key(channel: str, address: str) -> str:
    return address.strip().lower() if channel == Channel.EMAIL else address.strip()
