"""The public status page, its feeds and its Statuspage-compatible JSON: bytes from the snapshot.

A request looks up prepared bytes by path and returns them; it makes no database query (tests
prove it), so the page stays up while the database is down, showing its last state and, once that
is older than VIGIL_STATUS_STALE_AFTER seconds, saying so. Only a process that has never seen a
snapshot (a fresh install) builds one, once, from the database.
"""

import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified, HttpResponsePermanentRedirect
from django.views.decorators.http import require_safe

from . import snapshot as snapshots
from .pages import HTML, STALE_MARKER, stale_notice

logger = logging.getLogger(__name__)

ASSET_CACHE = "public, max-age=31536000, immutable"
NOT_READY = b"<!doctype html><title>Status</title><p>The status page is being prepared. Try again in a minute.</p>"


def document_path(path: str) -> str:
    """The snapshot's path for a URL path below the page's root: directories are their index.html."""
    return f"{path}index.html" if path == "" or path.endswith("/") else path


@require_safe
def serve(request, path: str = ""):
    snapshot = snapshots.current() or _first_build()
    if snapshot is None:
        return HttpResponse(NOT_READY, status=503, content_type=HTML, headers={"Retry-After": "30"})
    doc = snapshot.documents.get(document_path(path))
    if doc is None:
        if f"{path}/index.html" in snapshot.documents:
            return HttpResponsePermanentRedirect(f"{request.path}/")
        return respond(request, snapshot, snapshot.documents["404.html"], path, status=404)
    return respond(request, snapshot, doc, path)


@require_safe
def serve_api(request, path: str):
    """/api/v2/... at the origin's root, where Statuspage's clients look."""
    return serve(request, f"api/v2/{path}")


def respond(request, snapshot: snapshots.Snapshot, doc: snapshots.Document, path: str, status: int = 200):
    max_age = ASSET_CACHE if path.startswith("assets/") else f"public, max-age={_max_age()}"
    headers = {
        "ETag": doc.etag,
        "Cache-Control": max_age,
        "Last-Modified": snapshot.last_modified,
        "Access-Control-Allow-Origin": "*",
    }
    if status == 200 and request.META.get("HTTP_IF_NONE_MATCH") == doc.etag:
        response = HttpResponseNotModified()
        for name, value in headers.items():
            response[name] = value
        return response
    body = doc.body
    if doc.content_type == HTML and snapshots.age_seconds(snapshot) > _stale_after():
        # Rare (the database or the workers have been down a while): no gzip copy of this body.
        body = body.replace(STALE_MARKER, stale_notice(snapshot.taken_at))
    elif doc.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", ""):
            body = doc.gzipped
            headers["Content-Encoding"] = "gzip"
    return HttpResponse(body, status=status, content_type=doc.content_type, headers=headers)


def _max_age() -> int:
    return settings.VIGIL_STATUS_MAX_AGE


def _stale_after() -> float:
    return settings.VIGIL_STATUS_STALE_AFTER


def _first_build() -> snapshots.Snapshot | None:
    """No snapshot anywhere yet: build one now (the only path that reads the database)."""
    try:
        return snapshots.rebuild()
    except Exception:
        logger.exception("Could not build the first status page snapshot")
        return None
