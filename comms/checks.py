"""System checks: settings comms reads that are not plain numbers fail at start-up, not at a request."""

from django.conf import settings
from django.core.checks import Error, register

from vigil import ratelimit

RATE_SETTINGS = {
    "VIGIL_STATUS_SUBSCRIBE_RATE": "20/h",
    "VIGIL_STATUS_SUBSCRIBE_ADDRESS_RATE": "5/h",
    "VIGIL_STATUS_SMS_RATE": "100/h",
    "VIGIL_STATUS_SMS_COUNTRY_RATE": "20/h",
}


@register()
def check_rates(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for name, default in RATE_SETTINGS.items():
        try:
            ratelimit.check(getattr(settings, name, default))
        except ValueError as exc:
            errors.append(Error(f"{name}: {exc}", id="comms.E001"))
    return errors
