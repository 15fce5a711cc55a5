"""API rate limits: per API key with credentials, per client address without; 429 in the API's error shape."""

import uuid

import pytest
from django.core.cache.backends.redis import RedisCache
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from tests.conftest import api_client_for
from vigil.api import throttling


@pytest.fixture(autouse=True)
def own_counters(monkeypatch):
    """Counters of this test only: the cache outlives tests, and ids repeat on SQLite."""
    prefix = f"throttle-test-{uuid.uuid4().hex}-%(scope)s_%(ident)s"
    monkeypatch.setattr(throttling.AnonThrottle, "cache_format", prefix)
    monkeypatch.setattr(throttling.KeyThrottle, "cache_format", prefix)


def test_a_key_over_its_rate_gets_429_in_the_error_shape_and_other_keys_do_not(settings, responder):
    settings.VIGIL_API_THROTTLE_KEY = "3/min"
    runaway, other = api_client_for(responder), api_client_for(responder)
    for _ in range(3):
        assert runaway.get("/api/v1/incidents/").status_code == 200
    refused = runaway.get("/api/v1/incidents/")
    assert refused.status_code == 429
    body = refused.json()
    assert body["type"] == "client_error" and body["errors"][0]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert other.get("/api/v1/incidents/").status_code == 200  # counted per key


class Open(APIView):
    """An endpoint anyone may call, with the project's default throttles."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


def test_anonymous_callers_are_limited_per_address_and_a_forwarded_header_does_not_reset_it(settings, db):
    settings.VIGIL_API_THROTTLE_ANON = "2/min"
    factory, view = APIRequestFactory(), Open.as_view()

    def call(address: str, forwarded: str = ""):
        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
        return view(factory.get("/open/", REMOTE_ADDR=address, **extra))

    assert [call("192.0.2.7").status_code for _ in range(2)] == [200, 200]
    assert call("192.0.2.7").status_code == 429
    # No trusted proxy (TRUSTED_PROXY_COUNT=0): a client cannot name itself a new address.
    assert call("192.0.2.7", forwarded="198.51.100.1").status_code == 429
    assert call("192.0.2.8").status_code == 200


def test_a_cache_that_cannot_count_lets_the_request_through(responder, settings, monkeypatch):
    """Acknowledging a page through the API must not fail because Redis is down."""
    settings.VIGIL_API_THROTTLE_KEY = "1/min"
    closed = RedisCache("redis://127.0.0.1:1/0", {})  # a loopback port nothing listens on
    monkeypatch.setattr(throttling.KeyThrottle, "cache", closed)
    client = api_client_for(responder)
    assert [client.get("/api/v1/incidents/").status_code for _ in range(2)] == [200, 200]
