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

from vigil.early import EarlyRoute

from .ping_views import ping


class PingMiddleware(EarlyRoute):
    prefix = "/ping/"
    # The URL conf's own rule for a token (Django's uuid converter: lower-case hex), so both answer alike.
    pattern = re.compile(
        r"/ping/(?P<token>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:/(?P<kind>start|fail))?/?"
    )
    methods = frozenset({"GET", "HEAD", "POST"})  # any other goes to the URL conf, whose route answers 405

    def answer(self, request, match):
        return ping(request, uuid.UUID(match["token"]), match["kind"] or "success")
