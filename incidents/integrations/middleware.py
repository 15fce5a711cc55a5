"""Alert webhooks answered at the front of the middleware stack, as heartbeat pings are
(monitoring.ping_middleware) and the status page's documents.

An alert sender's POST to /integrations/hooks/<kind>/<token>/ needs no session, CSRF token, user,
two-factor state, messages or time zone: the token in the URL is its credential. Answering it
right after SecurityMiddleware, WhiteNoise and the CSP header saves the rest of the stack on what
a noisy Alertmanager repeats every few seconds (bench/alerts.py measures repeats against a
trivial view that goes through all of it). Audit entries still carry the sender's address
(vigil.audit.request_context). Anything else, and every other method, goes on to the URL conf,
which keeps the same route for reversing and gives the same answers.
"""

import re

from django.conf import settings

from vigil.audit import request_context

from .views import ingest

HOOK = re.compile(r"/integrations/hooks/(?P<kind>[^/]+)/(?P<token>[^/]+)/")


class AlertHookMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path_info.startswith("/integrations/hooks/"):
            match = HOOK.fullmatch(request.path_info)
            if match:
                with request_context(request):
                    response = ingest(request, match["kind"], match["token"])
                # What XFrameOptionsMiddleware would have added further down the stack.
                response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
                return response
        return self.get_response(request)
