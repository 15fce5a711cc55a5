"""Routes answered at the front of the middleware stack, before sessions, CSRF, login and URL resolving.

For requests whose credential is a token in their URL and that need nothing the rest of the stack
sets up (heartbeat pings: monitoring.ping_middleware; alert webhooks: incidents.integrations.
middleware). An app subclasses EarlyRoute with the path's PREFIX, its PATTERN (the URL conf's own
rule, so both answer alike), the METHODS it answers and answer(); anything else goes on down the
stack to the URL conf, which keeps the same routes. What the skipped middleware would have given
every answer is given here: the audit context (client address, request notes) and X-Frame-Options.
"""

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .audit import request_context


class EarlyRoute:
    prefix: str
    pattern: re.Pattern
    methods: frozenset[str]

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in self.methods and request.path_info.startswith(self.prefix):
            match = self.pattern.fullmatch(request.path_info)
            if match:
                with request_context(request):
                    response = self.answer(request, match)
                response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
                return response
        return self.get_response(request)

    def answer(self, request: HttpRequest, match: re.Match) -> HttpResponse:
        raise NotImplementedError
