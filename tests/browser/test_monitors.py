"""A monitor's life in a real browser: create an HTTP monitor against a target on loopback, test it,
watch it go up, take the target down, watch it go down and its incident appear."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import Incident
from monitoring import dispatch, tasks
from monitoring.models import Monitor

from .conftest import login


class Healthy(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<html>checkout OK</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def target():
    """A web server on a free loopback port; stop() takes it down (connections are refused)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    server.url = f"http://127.0.0.1:{server.server_port}/health"
    server.stop = stop
    yield server
    if thread.is_alive():
        stop()


class Scheduler:
    """Beat's dispatcher and a probe worker, run once per call, in this process.

    Each run is a little later than the last, so every monitor is due. The work happens in a
    thread of its own: Playwright keeps an event loop running in the test's thread, and the
    probe engine needs its own.
    """

    def __init__(self):
        self.runs = 0
        self.pool = ThreadPoolExecutor(max_workers=1)

    def _run(self, at):
        try:
            return dispatch.dispatch(at, send=tasks.run_checks)
        finally:
            connection.close()

    def run(self):
        self.runs += 1
        at = timezone.now() + timedelta(minutes=self.runs)
        return self.pool.submit(self._run, at).result(timeout=30)


def test_create_an_http_monitor_see_it_up_then_down_with_an_incident(page, live_server, admin_user, target):
    scheduler = Scheduler()
    login(page, live_server, admin_user)
    page.goto(f"{live_server.url}/monitors/")
    page.get_by_role("link", name="New monitor").click()
    page.get_by_role("link", name="HTTP(S)").click()
    page.get_by_label("Name", exact=True).fill("Checkout")
    page.get_by_label("URL", exact=True).fill(target.url)
    # One page: the settings beyond kind, name, target and interval are folded; open the two needed.
    page.locator("summary", has_text="What counts as up").click()
    page.get_by_label("Expected status codes", exact=True).fill("2xx")
    page.get_by_label("Keyword", exact=True).fill("checkout OK")
    page.get_by_label("Check every (seconds)", exact=True).fill("10")
    page.locator("summary", has_text="Timeouts and retries").click()
    page.get_by_label("Retry a failure after (seconds)", exact=True).fill("1")
    with page.expect_navigation():
        page.get_by_role("button", name="Create monitor").click()
    assert page.get_by_test_id("monitor-state").inner_text() == "Pending"

    # Test now: one probe, its result on the page at once (in place, no reload), nothing recorded.
    page.get_by_role("button", name="Test now").click()
    page.get_by_test_id("test-result").wait_for()
    assert "Up" in page.get_by_test_id("test-result").inner_text()
    assert page.get_by_test_id("monitor-state").inner_text() == "Pending"

    assert scheduler.run().probes == 1
    page.goto(f"{live_server.url}/monitors/")
    row = page.get_by_test_id("monitor-row").filter(has_text="Checkout")
    assert row.get_by_test_id("monitor-state").inner_text() == "Up"
    assert "last 1 checks" in row.locator("svg.sparkline").get_attribute("aria-label")

    target.stop()
    scheduler.run()  # the first failure is retried before anyone is told
    page.reload()
    assert row.get_by_test_id("monitor-state").inner_text() == "Up"
    scheduler.run()  # confirmed: down, and an incident opens
    page.reload()
    assert row.get_by_test_id("monitor-state").inner_text() == "Down"
    assert "Connection refused" in row.inner_text() or "refused" in row.inner_text().lower()

    row.get_by_role("link", name="Checkout").click()
    assert page.get_by_test_id("monitor-state").inner_text() == "Down"
    incident_link = page.get_by_test_id("monitor-incident").get_by_role("link")
    assert "Checkout is down" in incident_link.inner_text()
    incident_link.click()
    assert page.get_by_test_id("incident-status").inner_text() == "Triggered"
    incident = Incident.objects.get()
    assert incident.dedup_key == f"monitor:{Monitor.objects.get().pk}"
    assert not page.js_errors
