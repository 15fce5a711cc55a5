"""Shared fixtures: personas, service checks, a real Celery worker.

Tests that need a service the machine lacks skip with the reason; with
REQUIRE_SERVICES=1 (as in .ci/run) they fail instead.
"""

import os

import pytest
from django.contrib.auth import get_user_model
from django.db.backends.signals import connection_created
from rest_framework.test import APIClient

from vigil.audit import Actor
from vigil.roles import Role, assign_role, sync_roles
from vigil.services import do_create_api_key

PASSWORD = "correct-horse-battery-staple"


def need(service: str, available: bool, reason: str) -> None:
    """Skip, or under REQUIRE_SERVICES=1 fail, when SERVICE is not available."""
    if available:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{service} is required (REQUIRE_SERVICES=1) but {reason}", pytrace=False)
    pytest.skip(f"{service} unavailable: {reason}")


# --- The test database on PostgreSQL --------------------------------------------------------------
# Tests that need other threads or processes to see their rows (the browser, Celery workers) run
# outside a transaction, and Django empties every table after each with one TRUNCATE of all ~130
# tables: about a second per test on PostgreSQL, where DELETE takes milliseconds on tables this
# small. Same end state (empty tables; sequences are not reset either way unless asked), still the
# real database. The test database also commits without waiting for its WAL to reach the disk:
# a test database need not survive a power cut, and visibility between connections is unchanged.
@pytest.fixture(scope="session", autouse=True)
def quick_flush_on_postgresql():
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at commit, when all are gone.
        deletes = [f"DELETE FROM {self.quote_name(table)}" for table in tables]  # noqa: S608  (Django's own table names, quoted)
        return ["SET CONSTRAINTS ALL DEFERRED", *deletes]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = truncate


def _commit_without_waiting_for_the_disk(sender, connection, **kwargs):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")


connection_created.connect(_commit_without_waiting_for_the_disk, dispatch_uid="tests.synchronous_commit")


def make_user(username: str, role: Role | None):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, email=f"{username}@example.com")
    if role is not None:
        assign_role(user, role)
    return user


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # PBKDF2's million rounds cost ~0.3 s a user; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- API rate limits (issue #14, vigil.api.throttling) -----------------------------------------
@pytest.fixture(autouse=True)
def generous_api_rates(settings):
    """The suite fires thousands of API requests a minute from one address and a few keys (the fuzz
    run, the role matrix): it gets rates it cannot reach, per second so the counted window stays
    small. tests/test_api_throttling.py sets low rates to test the limits themselves."""
    settings.VIGIL_API_THROTTLE_ANON = "100000/s"
    settings.VIGIL_API_THROTTLE_KEY = "100000/s"


def tampered(text: str) -> str:
    """TEXT with its last character replaced by another: a forgery that can never equal the original."""
    return text[:-1] + ("B" if text.endswith("A") else "A")


# --- Outgoing connections (issue #14, vigil.net and vigil.http) --------------------------------
LOOPBACK_NETWORKS = ["127.0.0.0/8", "::1/128"]
# TEST-NET-1 (RFC 5737): stands in for a public host. Nothing may ever be sent there: a test that
# lets the client treat it as public also takes no_packet_leaves, which refuses the connection.
DOCUMENTATION_NETWORK = "192.0.2.0/24"


@pytest.fixture(autouse=True)
def probes_reach_loopback(settings):
    """The probe tests aim at servers they start on loopback, allowed here as an install lists its
    internal networks. Tests of the guard itself set VIGIL_PROBE_ALLOWED_NETWORKS = [] again.
    The outgoing client gets no such blanket allowance: see loopback_receivers."""
    settings.VIGIL_PROBE_ALLOWED_NETWORKS = LOOPBACK_NETWORKS
    settings.VIGIL_OUTBOUND_ALLOWED_NETWORKS = []


@pytest.fixture(autouse=True)
def slack_goes_nowhere(settings):
    """Slack and Teams are off, and their API address is a closed loopback port: a test that turns them
    on points them at a fake it started (tests/chat/conftest.py), and nothing can reach slack.com."""
    settings.SLACK_BOT_TOKEN = ""
    settings.SLACK_SIGNING_SECRET = ""
    settings.SLACK_API_URL = "http://127.0.0.1:9/api/"
    settings.TEAMS_WORKFLOW_URL = ""


@pytest.fixture
def loopback_receivers(settings):
    """Lets the outgoing client (webhooks, Slack, Mastodon, feeds) reach the fake receivers a test
    starts on loopback. Asked for by name: without it loopback is refused, as in production."""
    settings.VIGIL_OUTBOUND_ALLOWED_NETWORKS = LOOPBACK_NETWORKS


@pytest.fixture
def no_packet_leaves(monkeypatch):
    """Records every TCP or UDP connect made from Python in this test, as (host, port), and refuses any
    to an address that is not loopback, so even a wrong fix can send nothing off the machine. Returns
    the list. (Python sockets: the probe engine on uvloop is guarded by its own tests' means.)"""
    import ipaddress
    import socket

    attempts = []

    def guard(method):
        def guarded(sock, address):
            if isinstance(address, tuple) and sock.family in (socket.AF_INET, socket.AF_INET6):
                attempts.append(tuple(address[:2]))
                try:
                    loopback = ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback
                except ValueError:
                    loopback = False
                if not loopback:
                    raise ConnectionRefusedError(f"tests: no connection to {address[0]} (only loopback)")
            return method(sock, address)

        return guarded

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, guard(getattr(socket.socket, name)))
    return attempts


@pytest.fixture
def documentation_net_is_public(settings, no_packet_leaves, monkeypatch):
    """192.0.2.0/24 (TEST-NET-1) stands in for a public network: allowed for outgoing requests
    (VIGIL_OUTBOUND_ALLOWED_NETWORKS), and taken as global by Python's ipaddress, so any rule, today's
    or an older one, sees 192.0.2.10 as a public host. Every connection attempt is recorded and only
    loopback ones go through (no_packet_leaves, which this returns)."""
    import ipaddress

    test_net = ipaddress.ip_network(DOCUMENTATION_NETWORK)
    is_global = ipaddress.IPv4Address.is_global
    monkeypatch.setattr(ipaddress.IPv4Address, "is_global", property(lambda ip: ip in test_net or is_global.fget(ip)))
    settings.VIGIL_OUTBOUND_ALLOWED_NETWORKS = [DOCUMENTATION_NETWORK]
    return no_packet_leaves


# --- end of outgoing connections ---------------------------------------------------------------


# --- The status page's snapshot (issue #15, comms.status.triggers) -------------------------------
@pytest.fixture(autouse=True)
def own_status_snapshot(settings, tmp_path):
    """Each test keeps the status page's snapshot in a directory of its own and starts with none held
    in memory or in Redis. The page is rebuilt in the process after every change it shows, so without
    this a test under a frozen clock (time_machine in 2030, say) would leave a snapshot "newer" than
    any later one, and later tests would be served it."""
    from django.core.cache import cache

    from comms.status import snapshot, triggers

    settings.VIGIL_STATUS_DIR = str(tmp_path / "status-snapshot")

    def forget():
        snapshot._held.reset()
        try:
            cache.delete_many([triggers.BUILDING_KEY, triggers.CHANGES_KEY])
            client = snapshot._redis()
            if client is not None:
                client.delete(snapshot.REDIS_DATA_KEY, snapshot.REDIS_VERSION_KEY)
        except Exception:  # noqa: S110 (a test may point REDIS_URL or the cache at a closed port)
            pass

    forget()
    yield
    forget()


# --- end of the status page's snapshot ------------------------------------------------------------


@pytest.fixture
def roles(db):
    sync_roles()


@pytest.fixture
def admin_user(roles):
    return make_user("alice-admin", Role.ADMIN)


@pytest.fixture
def responder(roles):
    return make_user("rita-responder", Role.RESPONDER)


@pytest.fixture
def viewer(roles):
    return make_user("victor-viewer", Role.VIEWER)


@pytest.fixture
def personas(admin_user, responder, viewer):
    """The four kinds of visitor every endpoint is tried by. None is the anonymous visitor."""
    return {"admin": admin_user, "responder": responder, "viewer": viewer, "anonymous": None}


def api_client_for(user) -> APIClient:
    """An API client authenticated with a real API key of USER (anonymous when None)."""
    client = APIClient()
    if user is not None:
        _, raw = do_create_api_key(Actor(user=user, via="cli"), user, "tests")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def api_clients(personas):
    return {name: api_client_for(user) for name, user in personas.items()}


@pytest.fixture
def web_clients(personas, client):
    from django.test import Client

    clients = {}
    for name, user in personas.items():
        c = Client()
        if user is not None:
            c.force_login(user)
        clients[name] = c
    return clients


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    if not url:
        need("Redis", False, "REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        need("Redis", False, f"cannot reach {url}: {exc}")
    return url


@pytest.fixture
def celery_worker(redis_url, transactional_db):
    """A real Celery worker, in a thread of this process, consuming from Redis."""
    from celery.contrib.testing.worker import start_worker

    from vigil.celery import app

    assert app.conf.broker_url.startswith("redis"), "the worker test needs REDIS_URL as broker"
    queues = sorted({route["queue"] for route in app.conf.task_routes.values()} | {app.conf.task_default_queue})
    with start_worker(app, pool="solo", perform_ping_check=False, queues=queues, shutdown_timeout=10) as worker:
        yield worker


@pytest.fixture
def eager_celery():
    """Tasks queued run at once in the test's process, as a worker would run them."""
    from vigil.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests run last, after pytest-django's own ordering.

    Playwright's sync API keeps an asyncio loop marked as running in the main thread
    for as long as the session-wide browser lives; a later test that starts its own
    loop (the probe engine's) would find it and fail.
    """
    browser_fixtures = {"browser", "page", "phone_page"}
    for item in items:
        if browser_fixtures & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    # bin/run under three minutes of load mostly waits: start it now, beside the rest of the suite.
    first_run = [item for item in items if item.name.startswith("test_bin_run_from_a_fresh_copy")]
    if first_run and len(items) > 1 and not config.option.collectonly:
        first_run[0].module.start_early()


def assert_api_outcome(role: str, allowed: set[str], response) -> None:
    """An API call made as ROLE: done when the role is allowed, else 401 (anonymous) or 403."""
    if role in allowed:
        assert response.status_code < 300, (role, response.status_code, response.content[:500])
    else:
        assert response.status_code == (401 if role == "anonymous" else 403), (role, response.content[:500])


def assert_web_outcome(role: str, allowed: set[str], response) -> None:
    """A dashboard request made as ROLE: served (or redirected elsewhere than the login page)
    when allowed; the anonymous visitor is sent to log in; any other role gets 403."""
    if role in allowed:
        assert response.status_code in (200, 302), (role, response.status_code, response.content[:500])
        if response.status_code == 302:
            assert "/login/" not in response["Location"]
    elif role == "anonymous":
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    else:
        assert response.status_code == 403, (role, response.status_code)


# The browser harness's fixtures, for every test directory: one Chromium per test file.
from tests.browser_harness import browser, page, phone_page, pytest_runtest_makereport  # noqa: E402, F401
