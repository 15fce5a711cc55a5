"""API rate limits (REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES): DRF's sliding-window throttles, counted in
Django's cache (Redis in production), with Vigil's rates and Vigil's idea of the client.

- AnonThrottle: requests without credentials, per client address (vigil.audit.client_ip, which
  trusts X-Forwarded-For only from TRUSTED_PROXY_COUNT proxies; DRF's own reading of the header
  would let a client name a new address on every request), at VIGIL_API_THROTTLE_ANON.
- KeyThrottle: authenticated requests, per API key (a session counts per user), at
  VIGIL_API_THROTTLE_KEY: one runaway script is slowed without slowing its owner's other keys.

Rates are read from settings on each request (DRF's THROTTLE_RATES is bound at import, so a
changed setting would never be seen). Over a rate: 429 in the API's one error shape, with
Retry-After. A cache that cannot count lets the request through, logged: acknowledging a page
through the API must not fail because Redis is down.
"""

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from vigil.audit import client_ip
from vigil.models import ApiKey

logger = logging.getLogger(__name__)


class _Throttle(SimpleRateThrottle):
    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.warning("API throttle %s: the cache cannot count; request let through", self.scope, exc_info=True)
            return True


class AnonThrottle(_Throttle):
    scope = "anon"

    def get_rate(self) -> str | None:
        return settings.VIGIL_API_THROTTLE_ANON or None  # empty: no limit

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


class KeyThrottle(_Throttle):
    scope = "key"

    def get_rate(self) -> str | None:
        return settings.VIGIL_API_THROTTLE_KEY or None  # empty: no limit

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        ident = f"key{request.auth.pk}" if isinstance(request.auth, ApiKey) else f"user{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
