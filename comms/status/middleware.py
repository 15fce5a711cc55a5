"""The status page's documents answered at the front of the middleware stack, as WhiteNoise answers static files.

A status page document is prepared bytes, the same for every visitor: it needs no session, CSRF
token, user, message storage, time zone or audit context, and no URL resolving. Answering it here,
right after SecurityMiddleware and WhiteNoise, saves the rest of the stack on every request, which
is most of a request's cost once the bytes are ready (bench/status_page.py measures it against a
static file). Only GET and HEAD of a path the current snapshot holds are answered here; anything
else below /status/ (the maintenance dashboard, the subscription views, redirects, the 404 page)
goes on to the URL conf as before.
"""

from django.conf import settings

from . import snapshot as snapshots
from .views import document_path, respond

PAGE_PREFIX = "/status/"
API_PREFIX = "/api/v2/"


class StatusSnapshotMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            response = self._answer(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _answer(self, request):
        path = request.path_info
        if path.startswith(PAGE_PREFIX):
            key = path[len(PAGE_PREFIX) :]
        elif path.startswith(API_PREFIX) and path.endswith(".json"):
            key = "api/v2/" + path[len(API_PREFIX) :]
        else:
            return None
        snapshot = snapshots.current()
        doc = snapshot.documents.get(document_path(key)) if snapshot is not None else None
        if doc is None:
            return None
        response = respond(request, snapshot, doc, key)
        # What XFrameOptionsMiddleware would have added further down the stack.
        response.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response
