"""System checks: settings comms reads that are not plain numbers fail at start-up, not at a request."""

from django.conf import settings
from django.core.checks import Error, register

from vigil import ratelimit

RATE_SETTINGS = (
    "VIGIL_STATUS_SUBSCRIBE_RATE",
    "VIGIL_STATUS_SUBSCRIBE_ADDRESS_RATE",
    "VIGIL_STATUS_SMS_RATE",
    "VIGIL_STATUS_SMS_COUNTRY_RATE",
)


@register()
def check_rates(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for name in RATE_SETTINGS:
        try:
            ratelimit.check(getattr(settings, name))  # each declared in vigil/settings/features.py
        except ValueError as exc:
            errors.append(Error(f"{name}: {exc}", id="comms.E001"))
    return errors
