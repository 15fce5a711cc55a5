"""Vigil's WSGI application plus one trivial Django view, for benchmarks' baselines.

Served by the same gunicorn as the code being measured, so a figure and its
baseline go through the same server, workers and middleware, side by side:

    gunicorn bench.wsgi_bench:application

GET /bench/ping/ returns two bytes and touches no database.
"""

from django.conf import settings
from django.http import HttpResponse
from django.urls import path

from vigil.wsgi import application  # sets Django up

PING_PATH = "/bench/ping/"


def ping(request):
    return HttpResponse(b"ok", content_type="text/plain")


def _urlpatterns():
    from vigil.urls import urlpatterns as vigil_urlpatterns

    return [path(PING_PATH.lstrip("/"), ping, name="bench_ping"), *vigil_urlpatterns]


urlpatterns = _urlpatterns()
# Django reads ROOT_URLCONF on each request: this module's patterns are Vigil's plus the ping.
settings.ROOT_URLCONF = __name__

__all__ = ["PING_PATH", "application"]
