"""Fixtures of the reputation watch's tests: a feed server on loopback, sources, and an incident."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from incidents.models import Component, ComponentStatus
from incidents.services import do_declare
from reputation import services
from reputation.models import MentionSource
from vigil.audit import Actor

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def fixture_json(name: str):
    return json.loads(fixture_text(name))


@dataclass
class Feed:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str = ""
    last_modified: str = ""
    status: int = 200


@dataclass
class FeedServer:
    """A threaded web server on a free loopback port serving FEEDS by path.

    It honours conditional GET as a real one does: a request whose If-None-Match names the
    feed's ETag, or whose If-Modified-Since equals its Last-Modified, gets 304 and no body.
    Every request's path and headers are kept in `requests`.
    """

    feeds: dict[str, Feed] = field(default_factory=dict)
    requests: list[tuple[str, dict]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def start(self) -> "FeedServer":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests.append((self.path, dict(self.headers)))
                feed = owner.feeds.get(self.path)
                if feed is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                fresh = (feed.etag and self.headers.get("If-None-Match") == feed.etag) or (
                    feed.last_modified and self.headers.get("If-Modified-Since") == feed.last_modified
                )
                self.send_response(304 if fresh else feed.status)
                if feed.etag:
                    self.send_header("ETag", feed.etag)
                if feed.last_modified:
                    self.send_header("Last-Modified", feed.last_modified)
                if fresh:
                    self.end_headers()
                    return
                self.send_header("Content-Type", feed.content_type)
                self.send_header("Content-Length", str(len(feed.body)))
                self.end_headers()
                self.wfile.write(feed.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests_to(self, path: str) -> list[dict]:
        return [headers for requested, headers in self.requests if requested == path]


@pytest.fixture
def feed_server(loopback_receivers):
    """Served on loopback, which feeds may reach in these tests (loopback_receivers)."""
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user)


@pytest.fixture
def keywords(settings):
    settings.VIGIL_REPUTATION_KEYWORDS = "Acme, acme.io"
    return settings.VIGIL_REPUTATION_KEYWORDS


@pytest.fixture
def webhook_source(actor):
    return services.do_create_source(actor, name="Zapier", kind=MentionSource.Kind.WEBHOOK)


@pytest.fixture
def checkout(db):
    return Component.objects.create(name="Checkout")


@pytest.fixture
def outage(actor, checkout):
    """An open SEV1 on the Checkout component."""
    incident, _ = do_declare(
        actor, title="Checkout failing", severity="sev1", components={checkout: ComponentStatus.MAJOR_OUTAGE}
    )
    return incident
