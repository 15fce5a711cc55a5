"""Phone numbers in E.164, checked with Google's libphonenumber rules (the phonenumbers package)."""

import phonenumbers
from django.core.exceptions import ValidationError


def to_e164(value: str, region: str | None = None) -> str:
    """VALUE as E.164 ('+14155550100'). Raises ValidationError naming what is wrong.

    Without REGION a number must start with '+' and its country code; spaces, dots and
    dashes are accepted and dropped.
    """
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        message = f"{value!r} is not a phone number ({exc}); write it as +<country code><number>."
        raise ValidationError(message) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"{value!r} is not a valid phone number for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_e164(value: str) -> None:
    """A model validator: VALUE must be a valid number, already written in E.164."""
    if value and to_e164(value) != value:
        raise ValidationError(f"Write {value!r} in E.164, as {to_e164(value)}.")
