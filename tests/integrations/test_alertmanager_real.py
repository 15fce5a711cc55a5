"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) sends its webhooks to Vigil.

The test starts Alertmanager on loopback, with clustering off and its storage in a
temporary folder, routes every alert to a webhook receiver pointing at Vigil's live
test server, and posts an alert to Alertmanager's API: it must become an incident,
and the same alert resolved must resolve it.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import Alert, Incident, Integration
from tests.conftest import need

BINARY_NAMES = ("/usr/bin/prometheus-alertmanager", "prometheus-alertmanager", "alertmanager")
WAIT_SECONDS = 15


def _binary() -> str | None:
    for name in BINARY_NAMES:
        path = name if os.path.isabs(name) else shutil.which(name)
        if path and os.access(path, os.X_OK):
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(webhook_url: str) -> str:
    # JSON is YAML: Alertmanager reads this as its configuration file.
    return json.dumps(
        {
            "global": {"resolve_timeout": "5s"},
            "route": {
                "receiver": "vigil",
                "group_by": ["alertname"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [{"name": "vigil", "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}],
        }
    )


def _request(url: str, body=None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def _wait_for(condition, what: str, log_path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"Alertmanager: {what} within {WAIT_SECONDS} s. Its log:\n{log_path.read_text()[-3000:]}")


@pytest.fixture
def alertmanager_binary():
    binary = _binary()
    need("Alertmanager", binary is not None, "no binary (apt-get install prometheus-alertmanager)")
    return binary


@contextlib.contextmanager
def alertmanager_process(binary: str, config: str, tmp_path):
    """Alertmanager with CONFIG on a free loopback port: yields its base URL and its log's path, and
    on the way out stops it and lets the live server finish what it sent last."""
    config_path = tmp_path / "alertmanager.yml"
    config_path.write_text(config)
    port = _free_port()
    log_path = tmp_path / "alertmanager.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config_path}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def ready():
            try:
                return _request(f"{base}/-/ready") == 200
            except OSError:
                return process.poll() is not None  # exited: stop waiting, the check below says so

        _wait_for(ready, "ready", log_path)
        assert process.poll() is None, log_path.read_text()
        yield base, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        _wait_for_requests_in_flight()


@pytest.fixture
def running_alertmanager(alertmanager_binary, live_server, transactional_db, tmp_path):
    """Alertmanager on a free loopback port, sending to a new Alertmanager integration in Vigil."""
    integration = Integration.objects.create(name="Real Alertmanager", kind=Integration.Kind.ALERTMANAGER)
    config = _config(f"{live_server.url}{integration.get_ingest_path()}")
    with alertmanager_process(alertmanager_binary, config, tmp_path) as (base, log_path):
        yield base, integration, log_path


def _wait_for_requests_in_flight(timeout: float = 10.0) -> None:
    """Let the live server finish what Alertmanager sent last, before the database is flushed.

    A notification still being handled would otherwise deadlock with the flush, or land in the
    next test's database (the live server outlives this test). Django's live server handles each
    request in a thread of socketserver's, named after process_request_thread.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any("process_request_thread" in t.name for t in threading.enumerate() if t.is_alive()):
            return
        time.sleep(0.05)


def test_an_alert_sent_through_alertmanager_opens_and_resolves_an_incident(running_alertmanager):
    base, integration, log_path = running_alertmanager
    started = datetime.now(UTC) - timedelta(seconds=5)
    alert = {
        "labels": {"alertname": "VigilRealAlertmanagerTest", "instance": "db-1:9100", "severity": "critical"},
        "annotations": {"summary": "db-1 is down", "description": "Posted by Vigil's test suite."},
        "startsAt": started.isoformat(),
    }
    assert _request(f"{base}/api/v2/alerts", [alert]) == 200

    opened = Incident.objects.filter(dedup_key__startswith=f"integration:{integration.pk}:")
    _wait_for(opened.exists, "no incident was opened", log_path)
    incident = Incident.objects.get()
    assert incident.title == "db-1 is down"
    assert incident.severity == "sev1"
    assert incident.is_open
    row = Alert.objects.get()
    assert row.status == "firing" and row.labels["instance"] == "db-1:9100"

    alert["endsAt"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    assert _request(f"{base}/api/v2/alerts", [alert]) == 200

    def resolved():
        incident.refresh_from_db()
        return not incident.is_open

    _wait_for(resolved, "the incident was not resolved", log_path)
    row.refresh_from_db()
    assert row.status == "resolved" and row.ends_at is not None
    assert Incident.objects.count() == 1
