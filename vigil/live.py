"""Pages that keep themselves current: polling with ETags, a 304 when nothing changed.

A responder's page must show what another responder, an alert or a monitor changed within
seconds, without a reload, and cost almost nothing while nothing changes. The dashboard's
script (static/vigil.js) polls every element marked `data-live="<url>"` every few seconds
(`data-live-seconds`, 3 by default) with the ETag of what it shows; the view answers 304 while
its *version* is unchanged and renders the fragment only when it moved.

A view opts in with @live(version), where version(request, *args, **kwargs) returns something
that changes whenever what the view shows changes: one cheap query (a max(updated_at) and a
count, say). The ETag is that version plus who is asking and the exact URL, since two people (a
viewer sees masks, a paged person sees "you are being paged") or two filters see different
things. Django's own conditional-GET support (django.views.decorators.http.etag) answers the
If-None-Match; this module only builds the tag and keeps browsers and proxies from caching.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import etag

# How often the script polls, in seconds, unless an element says otherwise.
DEFAULT_SECONDS = 3


def poll_seconds(value, default: float = DEFAULT_SECONDS) -> float:
    """How often a page polls: ?refresh=N seconds, 2 to 600 (a wall display may ask for less often)."""
    try:
        return min(max(float(value), 2.0), 600.0)
    except (TypeError, ValueError):
        return default


def live_tag(request, version) -> str:
    """The ETag of what REQUEST is shown at VERSION."""
    # The person, not their role: a role change alters nothing they were already shown.
    return hashlib.sha256(f"{request.user.pk}|{request.get_full_path()}|{version}".encode()).hexdigest()[:32]


def live(version: Callable) -> Callable:
    """Answer 304 while VERSION(request, *args, **kwargs) and the viewer are unchanged."""

    def decorator(view):
        @etag(lambda request, *args, **kwargs: live_tag(request, version(request, *args, **kwargs)))
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            # Always ask again (the poll is the point), and never share a page between people.
            patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ["Cookie"])
            return response

        return wrapper

    return decorator
