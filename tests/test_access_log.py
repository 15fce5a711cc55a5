"""The access log (gunicorn, with gunicorn.conf.py's logger) and Django's log lines keep no URL secrets.

gunicorn is started for real on a free loopback port, from the project root as the Procfile and the
Docker image start it, with `--access-logfile`; the test reads what it wrote.
"""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent

# Captured URL parameters that are not credentials. A new route whose parameter is neither here nor in
# SECRET_PARAMETERS fails test_every_captured_url_parameter_is_declared_secret_or_not: decide, then add it.
NOT_SECRET = {
    "pk",
    "id",
    "run",
    "kind",
    "move",
    "table",
    "event",
    "path",
    "object_id",
    "content_type_id",
    "app_label",
    "url",
}
NOT_SECRET |= {"incident_pk", "incident_id", "item_id", "step_id", "level_id", "number"}
NOT_SECRET |= {"identifier"}  # Opsgenie's alert alias (incidents/integrations/opsgenie_urls.py); its key is a header
NOT_SECRET |= {"action"}  # My notifications: what to do to a rule (up, down, remove)
NOT_SECRET |= {"uuid"}  # SCIM (django-scim2): a user's number or a group's id; the credential is the bearer token


def _parameters(resolver, prefix=""):
    for entry in resolver.url_patterns:
        here = prefix + str(entry.pattern)
        names = set(entry.pattern.regex.groupindex)
        yield here, names
        if isinstance(entry, URLResolver):
            yield from _parameters(entry, here)


def test_every_captured_url_parameter_is_declared_secret_or_not():
    from vigil.gunicorn_logging import SECRET_PARAMETERS

    undeclared = {
        (route, name)
        for route, names in _parameters(get_resolver())
        for name in names
        if name not in SECRET_PARAMETERS and name not in NOT_SECRET
    }
    assert not undeclared, f"declare these in vigil.gunicorn_logging.SECRET_PARAMETERS or NOT_SECRET: {undeclared}"


def test_routes_with_a_secret_are_found_from_the_url_conf():
    from vigil.gunicorn_logging import SECRET_PARAMETERS, mask_target

    secret_routes = [
        route for route, names in _parameters(get_resolver()) if names & SECRET_PARAMETERS and isinstance(route, str)
    ]
    assert len(secret_routes) >= 10
    for route in secret_routes:
        path = "/" + route.replace("^", "").replace("$", "")
        for name in SECRET_PARAMETERS:
            for converter in ("uuid:", "str:", ""):
                path = path.replace(f"<{converter}{name}>", "s3cr3t-value")
        path = path.replace("<int:pk>", "7")
        assert "s3cr3t-value" not in mask_target(path), route


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def gunicorn(tmp_path, transactional_db):
    """gunicorn serving Vigil on 127.0.0.1 (the test database), its access log and its stderr.

    transactional_db, not db: on SQLite a test's open transaction (BEGIN IMMEDIATE) holds the write
    lock, and the server's writes (a ping) would wait for it until the request timed out."""
    port, log, errors = _free_port(), tmp_path / "access.log", tmp_path / "stderr.log"
    env = {**os.environ, "DEBUG": "1", "VIGIL_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": _database_url()}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    command = [sys.executable, "-m", "gunicorn", "vigil.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    command.append("--no-control-socket")  # its default path is per machine, shared with any other gunicorn
    with errors.open("wb") as stderr:
        server = subprocess.Popen([*command, "--access-logfile", str(log)], cwd=ROOT, env=env, stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=20)
                break
            except OSError:  # not listening yet (URLError), or still loading
                assert server.poll() is None and time.monotonic() < deadline, errors.read_text()
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", log, errors
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _request(url: str, method: str = "GET", headers: dict | None = None) -> None:
    request = urllib.request.Request(
        url, method=method, headers=headers or {}, data=b"{}" if method == "POST" else None
    )
    with contextlib.suppress(urllib.error.HTTPError):  # a 4xx is logged as well as a 2xx: that is what is looked at
        urllib.request.urlopen(request, timeout=10)


def test_the_access_log_and_django_log_lines_keep_no_url_secrets(gunicorn):
    base, log, errors = gunicorn
    ping = str(uuid.uuid4())
    secret = {name: secrets.token_urlsafe(12) for name in ("hook", "ack", "manage", "confirm", "code", "ics", "voice")}
    secret["query"] = secrets.token_hex(8)
    requests = [
        ("GET", f"/ping/{ping}", "/ping/***"),
        ("POST", f"/ping/{ping}/fail", "/ping/***/fail"),
        ("POST", f"/integrations/hooks/alertmanager/{secret['hook']}/", "/integrations/hooks/alertmanager/***/"),
        ("GET", f"/incidents/ack/{secret['ack']}/", "/incidents/ack/***/"),
        ("GET", f"/status/subscription/{secret['manage']}/?confirmed=1", "/status/subscription/***/?confirmed=1"),
        ("GET", f"/status/subscribe/confirm/{secret['confirm']}/", "/status/subscribe/confirm/***/"),
        ("GET", f"/status/subscribe/code/{secret['code']}", "/status/subscribe/code/***"),
        ("GET", f"/oncall/feeds/{secret['ics']}.ics", "/oncall/feeds/***.ics"),
        ("POST", f"/comms/hooks/twilio/voice-ack/{secret['voice']}/", "/comms/hooks/twilio/voice-ack/***/"),
        ("GET", f"/healthz?token={secret['query']}&page=2", "/healthz?token=***&page=2"),
    ]
    for method, path, _ in requests:
        _request(base + path, method)
    # A page with a signed link in its URL is the Referer of what it loads.
    _request(f"{base}/static/vigil.css", headers={"Referer": f"{base}/status/subscription/{secret['manage']}/"})
    time.sleep(0.5)

    written = log.read_text()
    assert len(written.splitlines()) >= len(requests) + 1, written
    for value in [ping, *secret.values()]:
        assert value not in written, value
        assert value not in errors.read_text(), value
    for method, _, masked in requests:
        assert f'"{method} {masked} HTTP/1.1"' in written, (masked, written)
    assert f'"{base}/status/subscription/***/"' in written
    # Django's own lines ("Not Found: /incidents/ack/.../") are masked too.
    assert "/incidents/ack/***/" in errors.read_text()
