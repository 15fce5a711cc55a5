"""Heartbeat pings answered at the front of the middleware stack, as the status page's documents are.

A ping needs no session, CSRF token, user, two-factor state, message storage, time zone, audit
context or lockout check, and no URL resolving: its unguessable token is its credential
(monitoring.ping_views). Answering it right after SecurityMiddleware, WhiteNoise and the CSP
header saves the rest of the stack on the busiest route (bench/heartbeats.py measures a ping
against a trivial view that goes through all of it). The URL conf keeps the same routes
(monitoring.ping_urls): for reversing ping URLs, and for whatever this does not answer (another
method, a malformed token), which goes on to them as before and gets the same answers.
"""

import re
import uuid

from django.conf import settings

from .ping_views import ping

# The URL conf's own rule for a token (Django's uuid converter: lower-case hex), so both answer alike.
PING = re.compile(
    r"/ping/(?P<token>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:/(?P<kind>start|fail))?/?"
)


class PingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/ping/") and (match := PING.fullmatch(request.path_info)):
            response = ping(request, uuid.UUID(match["token"]), match["kind"] or "success")
            # What XFrameOptionsMiddleware would have added further down the stack.
            response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
            return response
        return self.get_response(request)
