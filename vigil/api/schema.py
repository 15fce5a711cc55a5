"""The OpenAPI schema, for signed-in people and API keys only, generated once per process.

Generating the schema walks every view and serializer (seconds of CPU for 1.8 MB), and YAML
rendering costs as much again: served fresh, a handful of anonymous requests could keep a machine
busy. The schema is the same for everyone (SERVE_PUBLIC) and changes only with the code, which a
deploy restarts: so each process renders each form of it (version, language, format) once and
keeps the bytes. clear() forgets them (tests).
"""

import threading

from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

_rendered: dict[tuple, tuple[bytes, str, str]] = {}
_lock = threading.Lock()


def clear() -> None:
    with _lock:
        _rendered.clear()


class SchemaView(SpectacularAPIView):
    permission_classes = [IsAuthenticated]

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        renderer = request.accepted_renderer
        key = (version, translation.get_language(), renderer.format, request.accepted_media_type)
        with _lock:
            cached = _rendered.get(key)
        if cached is None:
            # Two first requests at once may both render: harmless, and no lock is held for seconds.
            response = super()._get_schema_response(request)
            body = renderer.render(response.data, request.accepted_media_type, self.get_renderer_context())
            content_type = request.accepted_media_type
            if renderer.charset:
                content_type = f"{content_type}; charset={renderer.charset}"
            cached = (body, content_type, response["Content-Disposition"])
            with _lock:
                _rendered[key] = cached
        body, content_type, disposition = cached
        return HttpResponse(body, content_type=content_type, headers={"Content-Disposition": disposition})
