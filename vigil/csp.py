"""Content-Security-Policy on every response: django-csp's middleware, with Vigil's own origin added.

The policy itself is settings.CONTENT_SECURITY_POLICY. One thing there depends on a setting: the
status page's subscribe form posts to VIGIL_BASE_URL (absolute, as the page may be served by a
static host or under another name), so form-action allows that origin besides 'self'.

The middleware sits right after WhiteNoise and before comms.status.middleware, so the status page's
snapshot documents, answered early, carry the header too. On that path every microsecond counts
(bench/status_page.py): building the header costs ~0.1 ms here, so the usual case (no nonce used,
no per-view change by django-csp's decorators) reuses the header built once for the settings.
"""

from functools import lru_cache
from urllib.parse import urlsplit

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, PolicyParts
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings

PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace")


def base_origin() -> str:
    parts = urlsplit(settings.VIGIL_BASE_URL)
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=8)
def _header(policy_id: int, origin: str) -> str:
    """The header for the current settings (POLICY_ID: which CONTENT_SECURITY_POLICY object they hold)."""
    return build_policy(update={"form-action": [origin]})


def policy_header() -> str:
    """The Content-Security-Policy every response carries (for a static copy's _headers file too)."""
    return _header(id(settings.CONTENT_SECURITY_POLICY), base_origin())


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", ()), base_origin()]
            parts.update = update
        return parts

    def process_response(self, request, response):
        plain = (
            getattr(request, "_csp_nonce", None) is None
            and not any(getattr(response, name, None) for name in PER_RESPONSE)
            and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            and not settings.CONTENT_SECURITY_POLICY.get("EXCLUDE_URL_PREFIXES")
            and not (settings.DEBUG and response.status_code in (404, 500))
        )
        if not plain:
            return super().process_response(request, response)
        if HEADER not in response and not getattr(response, "_csp_exempt", False):
            response[HEADER] = policy_header()
        # As django-csp does: a nonce asked for after the header is written would not be in it.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
