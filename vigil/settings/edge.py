"""The public edge (issue #14): sign-in lockout and two-factor, Content-Security-Policy, API rate limits,
and the one rule for outgoing connections."""

import re
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from vigil.settings.environment import DEBUG, env

# Failed logins (vigil.lockout): after AXES_FAILURE_LIMIT failures for one username from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES; after VIGIL_LOGIN_ACCOUNT_FAILURE_LIMIT
# failures for one username from any addresses, the account is. The account limit is higher, so
# one attacker cannot lock a user out with a handful of tries (they need that many, from several
# addresses, since a locked-out pair's tries are no longer counted).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
VIGIL_LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("VIGIL_LOGIN_ACCOUNT_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "vigil.lockout.PairAndAccountHandler"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_VERBOSE = False
# Two-factor sign-in (vigil.twofactor): admins must use it when this is on (default: on unless DEBUG).
# API keys are not affected: they are a credential of their own.
VIGIL_REQUIRE_ADMIN_2FA = env.bool("VIGIL_REQUIRE_ADMIN_2FA", default=not DEBUG)
# Content-Security-Policy (django-csp; vigil.csp adds VIGIL_BASE_URL to form-action, as the status
# page's form posts there). Scripts only from Vigil's own files: no inline script anywhere. Inline
# style *attributes* are allowed (the SVG charts and a few templates set them; they cannot run
# code, and with img-src and font-src closed they cannot fetch from elsewhere); <style> elements
# are not. The API docs page (Swagger UI) relaxes styles for itself (vigil/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        # Branding may show a logo from another https site.
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # The service worker (/sw.js) and the app manifest (/manifest.webmanifest): Vigil's own (comms.push).
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- REST API rate limits -----------------------------------------------------------
# "count/period" (period s, m, h or d; "1200/min" reads as per minute); empty: no limit. Over it: 429.
VIGIL_API_THROTTLE_ANON = env.str("VIGIL_API_THROTTLE_ANON", default="60/min")
VIGIL_API_THROTTLE_KEY = env.str("VIGIL_API_THROTTLE_KEY", default="1200/min")
for _name, _rate in (
    ("VIGIL_API_THROTTLE_ANON", VIGIL_API_THROTTLE_ANON),
    ("VIGIL_API_THROTTLE_KEY", VIGIL_API_THROTTLE_KEY),
):
    if _rate and not re.fullmatch(r"[0-9]+/[smhd][a-z]*", _rate):
        raise ImproperlyConfigured(f"{_name}={_rate!r}: expected count/period, e.g. 60/min.")

# --- Outgoing connections (issue #14) ---------------------------------------------
# The one address rule (vigil.net) for probes and for the one HTTP client (vigil.http: webhooks,
# Slack, Mastodon, feeds, status page subscribers): public addresses only, plus the networks
# listed here (comma-separated, e.g. "10.0.0.0/8,fd00::/8"); link-local and cloud metadata
# addresses (169.254.0.0/16, fd00:ec2::/32, 100.100.100.200...) never.
VIGIL_PROBE_ALLOWED_NETWORKS = env.list("VIGIL_PROBE_ALLOWED_NETWORKS", default=[])
VIGIL_OUTBOUND_ALLOWED_NETWORKS = env.list("VIGIL_OUTBOUND_ALLOWED_NETWORKS", default=[])
# vigil.http: seconds for a whole request (lookup, connect, send, answer), and the largest answer read.
VIGIL_HTTP_DEADLINE = env.float("VIGIL_HTTP_DEADLINE", default=10.0)
VIGIL_HTTP_MAX_BYTES = env.int("VIGIL_HTTP_MAX_BYTES", default=1024 * 1024)


def _check_outgoing_settings() -> None:
    from vigil.net import parse_networks

    for name in ("VIGIL_PROBE_ALLOWED_NETWORKS", "VIGIL_OUTBOUND_ALLOWED_NETWORKS"):
        try:
            parse_networks(globals()[name])
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {exc}") from None
    # Retired switches: obeying neither silently would change what an install can reach.
    for name in ("VIGIL_PROBE_FORBID_PRIVATE", "VIGIL_STATUS_WEBHOOK_ALLOW_PRIVATE"):
        if env.str(name, default=""):
            raise ImproperlyConfigured(
                f"{name} is no longer read: list the private networks Vigil may reach in "
                "VIGIL_PROBE_ALLOWED_NETWORKS (probes) and VIGIL_OUTBOUND_ALLOWED_NETWORKS (webhooks, "
                "Slack, Mastodon, feeds, subscribers); empty means public addresses only. See README."
            )


_check_outgoing_settings()
