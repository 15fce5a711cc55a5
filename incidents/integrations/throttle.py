"""How many alert requests one integration key may send: VIGIL_INGEST_RATE ("count/period" per key;
empty, the default: no limit, and no cost). Over it, each front door answers 429 in its own format
with Retry-After: the native webhooks, PagerDuty's Events API v2 and Opsgenie's Alert API.

Counted by key, before the key is checked (a check would cost the query the pipeline saves on a
repeat), in vigil.ratelimit's counters (Redis when REDIS_URL is set). For scale: PagerDuty documents
120 events a minute per integration key on its hosted Events API.
"""

from django.conf import settings

from vigil import ratelimit


def wait_seconds(request, kind: str, key: str) -> int | None:
    """None when KEY of KIND may send this request, else the seconds until it may."""
    rate = settings.VIGIL_INGEST_RATE
    if not rate or not key:
        return None
    return ratelimit.hit(request, f"ingest-{kind}", key, rate)
