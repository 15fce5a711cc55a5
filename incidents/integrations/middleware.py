"""Alert webhooks answered at the front of the middleware stack, as heartbeat pings are
(monitoring.ping_middleware) and the status page's documents.

An alert sender's POST to /integrations/hooks/<kind>/<token>/ needs no session, CSRF token, user,
two-factor state, messages or time zone: the token in the URL is its credential. Answering it
right after SecurityMiddleware, WhiteNoise and the CSP header saves the rest of the stack on what
a noisy Alertmanager repeats every few seconds (bench/alerts.py measures repeats against a
trivial view that goes through all of it). Anything else, and every other method, goes on to the
URL conf, which keeps the same route for reversing and gives the same answers (vigil.early).
"""

import re

from vigil.early import EarlyRoute

from .views import ingest


class AlertHookMiddleware(EarlyRoute):
    prefix = "/integrations/hooks/"
    pattern = re.compile(r"/integrations/hooks/(?P<kind>[^/]+)/(?P<token>[^/]+)/")
    methods = frozenset({"POST"})  # any other goes to the URL conf, whose route answers 405

    def answer(self, request, match):
        return ingest(request, match["kind"], match["token"])
