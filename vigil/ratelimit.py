"""How often one client or one address may ask for something: django-ratelimit's fixed-window
counters, in Django's cache (Redis when REDIS_URL is set, else the file cache every process of one
machine shares; its increments are not atomic, so a burst there may slip a request or two past).

Rates are written as django-ratelimit's (and Django REST framework's) are: "5/h" is five an hour,
with s, m, h or d. A cache that cannot count lets the request through (RATELIMIT_FAIL_OPEN, and a
logged error): the public subscription endpoints it guards are also held back by confirmation, so
availability wins.

One mechanism for every app (DESIGN.md): the status page's subscriptions (comms) and the monitors'
*Test* button (monitoring) count here.
"""

import logging
import re

from django.conf import settings
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

RATE = re.compile(r"^\s*\d+\s*/\s*\d*\s*[smhd]\w*\s*$", re.IGNORECASE)


def check(rate: str) -> str:
    """RATE if django-ratelimit reads it; else ValueError naming it (at start-up: comms.checks)."""
    if not RATE.match(str(rate)):
        raise ValueError(f"{rate!r} is not a rate: write it as a count and a period, e.g. 10/h")
    return rate


class Unavailable(Exception):
    """The cache could not count, and the caller asked not to let requests through then."""


def hit(request, scope: str, identity: str, rate: str, fail_open: bool = True) -> int | None:
    """Count one request of IDENTITY in SCOPE. Returns None when within RATE, else seconds to wait.

    A cache that cannot count lets the request through (logged), or with fail_open=False raises
    Unavailable: for limits on what costs money (texts), refusing is the safe side.
    """
    try:
        usage = get_usage(
            request, group=f"{prefix()}{scope}", key=lambda group, request: identity, rate=rate, increment=True
        )
    except Exception as exc:
        if not fail_open:
            logger.error("Rate limit %s unavailable (cache down); refusing the request: %s", scope, exc)
            raise Unavailable(scope) from exc
        logger.exception("Rate limit %s unavailable (cache down); letting the request through", scope)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, usage["time_left"])


def prefix() -> str:
    """Groups are namespaced, so tests (and two Vigils sharing one Redis) count apart."""
    return settings.VIGIL_RATELIMIT_GROUP_PREFIX
