"""The ping URL a heartbeat's job calls: /ping/<token>, /ping/<token>/start, /ping/<token>/fail.

No login and no CSRF check: the unguessable token in the URL is the credential, and jobs call it
with curl or wget (GET, POST or HEAD; a body is ignored). The answer is two bytes of plain text.
The work is monitoring.heartbeats.record_ping: with Redis, one round trip and no database query.
"""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .heartbeats import record_ping


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def ping(request, token, kind: str = "success"):
    if not record_ping(token, kind):
        return HttpResponse(b"not found", status=404, content_type="text/plain")
    response = HttpResponse(b"OK", content_type="text/plain")
    # A GET answered by a cache on the way would be a ping that never arrived.
    response["Cache-Control"] = "no-store"
    return response
