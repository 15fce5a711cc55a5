"""What must never wait: pages are claimed and sent in their own lane, by their own task, on their
own queue, served by a worker of their own; every task has time limits, and a send stopped by its
soft limit puts back what it holds.

The issue's test starts the Procfile's Celery workers as the Procfile runs them (real processes,
prefork, against this test's database and Redis), fills every slot of the bulk worker with slow
webhook subscribers (a local receiver that takes the POST, then answers one byte a second), and
pages someone: the page's outbox row must leave `queued` within 10 s.
"""

import base64
import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from comms import outbox
from comms.channels.webhook import WebhookChannel
from comms.models import Notification, State, Subscriber
from incidents import paging
from incidents.models import Component, PublicStatus
from incidents.services import do_declare, do_post_update
from tests.conftest import make_user, need
from vigil.audit import SYSTEM
from vigil.celery import app
from vigil.roles import Role

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
LOOPBACK = "127.0.0.0/8,::1/128"


# --- The Procfile's and docker-compose's workers ------------------------------------------------


def option(argv: list[str], *names: str) -> str | None:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return None


def queues_of(argv: list[str]) -> set[str]:
    return set((option(argv, "--queues", "-Q") or app.conf.task_default_queue).split(","))


def procfile_workers() -> dict[str, list[str]]:
    """The Procfile's Celery worker processes: name -> argv from `celery` on (past any wrapper such as bin/respawn)."""
    workers = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        argv = shlex.split(command)
        argv = argv[argv.index("celery") :] if "celery" in argv else []
        if argv[:4] == ["celery", "-A", "vigil", "worker"]:
            workers[name.strip()] = argv
    return workers


def compose_workers() -> dict[str, list[str]]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return {
        name: service["command"]
        for name, service in services.items()
        if isinstance(service.get("command"), list) and service["command"][:4] == ["celery", "-A", "vigil", "worker"]
    }


def routed_queues() -> set[str]:
    return {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {settings.CELERY_TASK_DEFAULT_QUEUE}


@pytest.mark.parametrize("source", [procfile_workers, compose_workers], ids=["Procfile", "docker-compose"])
def test_pages_and_escalation_have_a_worker_of_their_own(source):
    workers = source()
    urgent = [name for name, argv in workers.items() if queues_of(argv) & {"pages", "escalation"}]
    assert len(urgent) == 1, f"one worker serves pages and escalation, not {urgent}"
    assert queues_of(workers[urgent[0]]) == {"pages", "escalation"}, "and nothing else, so nothing bulk waits there"
    served = set().union(*(queues_of(argv) for argv in workers.values()))
    assert routed_queues() <= served, f"queues no worker serves: {routed_queues() - served}"


def test_only_escalation_and_page_sending_are_routed_to_the_urgent_queues():
    app.loader.import_default_modules()
    urgent = {
        name
        for name in app.tasks
        if not name.startswith("celery.") and app.amqp.router.route({}, name)["queue"].name in {"pages", "escalation"}
    }
    assert urgent == {
        "incidents.tasks.escalate",
        "incidents.tasks.escalate_due",
        "comms.tasks.send_pages",
        "comms.tasks.sweep_pages",
        "comms.tasks.kick",
    }


# --- Lanes --------------------------------------------------------------------------------------


@pytest.fixture
def oncall(roles):
    return make_user("olivia-oncall", Role.RESPONDER)


@pytest.fixture
def lanes(oncall):
    """A page's email row and two bulk email rows (a digest, a notice), all due, all by the sandbox."""
    incident, _ = do_declare(SYSTEM, title="Database down")
    with transaction.atomic():
        page = paging.page(oncall, incident)
    outbox.plan_page(page)
    rows = outbox.notice_rows([oncall], "Review due", "Your DR plan is due for review.")
    rows += outbox.notice_rows([oncall], "Weekly digest", "Uptime 99.9%.")
    Notification.objects.bulk_create(rows)
    Notification.objects.update(channel="sandbox", next_attempt_at=timezone.now())
    return page


def test_a_bulk_send_never_claims_page_rows_and_a_page_send_only_page_rows(lanes):
    bulk = outbox.claim("sandbox", 10, lane=outbox.BULK_LANE)
    assert len(bulk) == 2 and all(row.page_id is None for row in bulk)
    pages = outbox.claim("sandbox", 10, lane=outbox.PAGE_LANE)
    assert [row.page_id for row in pages] == [lanes.pk]
    assert outbox.claim("sandbox", 10, lane=outbox.PAGE_LANE) == []


def test_a_page_send_sends_the_page_and_leaves_the_bulk_rows(lanes):
    assert outbox.send_due("sandbox", lane=outbox.PAGE_LANE) == 1
    assert Notification.objects.get(page=lanes).state == State.SENT
    assert set(Notification.objects.filter(page=None).values_list("state", flat=True)) == {State.QUEUED}


def broker_messages(client, queue: str) -> list[tuple[str, str]]:
    """(task name, args) of the messages waiting in QUEUE, as kombu's Redis transport stores them."""
    found = []
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        found.append((message["headers"]["task"], args[0] if args else None))
    return sorted(found)


@pytest.fixture
def broker(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    queues = sorted(routed_queues())
    client.delete(*queues)
    yield client
    client.delete(*queues)


def test_each_sweeper_queues_its_lane_on_its_own_queue(lanes, broker, settings):
    from comms.tasks import sweep, sweep_pages

    settings.VIGIL_COMMS_PARALLEL_SENDS = 2
    sweep()
    assert broker_messages(broker, "pages") == [("comms.tasks.send_pages", "sandbox")]
    assert broker_messages(broker, "comms") == [("comms.tasks.send", "sandbox")] * 2
    broker.delete("pages", "comms")
    sweep_pages()  # what beat runs every 5 s on the pages queue, whatever the comms queue is doing
    assert broker_messages(broker, "pages") == [("comms.tasks.send_pages", "sandbox")]
    assert broker_messages(broker, "comms") == []


def test_a_page_held_by_a_lost_worker_is_taken_back_within_a_minute_and_bulk_rows_keep_their_lease(lanes, broker):
    from comms.tasks import sweep_pages

    Notification.objects.update(
        state=State.SENDING, claim=uuid.uuid4(), claimed_at=timezone.now() - timedelta(seconds=61)
    )
    sweep_pages()
    assert Notification.objects.get(page=lanes).state == State.QUEUED
    assert set(Notification.objects.filter(page=None).values_list("state", flat=True)) == {State.SENDING}
    assert broker_messages(broker, "pages") == [("comms.tasks.send_pages", "sandbox")]


def test_a_page_is_queued_on_the_pages_queue(oncall, broker, django_capture_on_commit_callbacks):
    incident, _ = do_declare(SYSTEM, title="Database down")
    with django_capture_on_commit_callbacks(execute=True):
        paging.page(oncall, incident)
    assert broker_messages(broker, "pages") == [("comms.tasks.send_pages", "sandbox")]
    assert broker_messages(broker, "comms") == []


# --- Real workers ---------------------------------------------------------------------------------


class DripServer:
    """A webhook receiver on 127.0.0.1 that reads each request whole, then answers one byte every
    DRIP seconds and never finishes. Requests to a path in FAST are answered 200 at once."""

    def __init__(self, drip: float = 1.0, fast: set[str] = frozenset()):
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.drip, self.fast = drip, fast
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.conns: set[socket.socket] = set()
        self.paths: list[str] = []
        self.holding = 0
        self.most_held = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def start(self) -> "DripServer":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.sock.close()
        with self.lock:
            for conn in self.conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with self.lock:
            self.conns.add(conn)
        try:
            path = self._read_request(conn)
            with self.lock:
                self.paths.append(path)
            if path in self.fast:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                return
            with self.lock:
                self.holding += 1
                self.most_held = max(self.most_held, self.holding)
            try:
                # A status line, then a header that never ends: the client waits for every byte.
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: ":
                    if self.stopping.wait(self.drip):
                        return
                    conn.sendall(bytes([byte]))
                while not self.stopping.wait(self.drip):
                    conn.sendall(b"a")
            finally:
                with self.lock:
                    self.holding -= 1
        except OSError:
            pass
        finally:
            with self.lock:
                self.conns.discard(conn)
            conn.close()

    @staticmethod
    def _read_request(conn: socket.socket) -> str:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                raise OSError("closed before the request ended")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length")), 0)
        while len(body) < length:
            body += conn.recv(65536)
        conn.settimeout(None)
        return lines[0].split()[1].decode()


def worker_environment(redis_url: str, var_dir: Path) -> dict:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    server = f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=f"{server}/{db['NAME']}",  # the test database this process writes and commits to
        REDIS_URL=redis_url,
        VIGIL_VAR_DIR=str(var_dir),
        LOG_LEVEL="INFO",
        # The workers may reach the receivers this test starts on loopback.
        VIGIL_OUTBOUND_ALLOWED_NETWORKS=LOOPBACK,
        # The lane alone must keep pages moving: no circuit breaker sparing the bulk worker.
        VIGIL_COMMS_BREAKER_FAILURES="0",
    )
    if "VIGIL_OUTBOUND_ALLOWED_NETWORKS" not in vars(sys.modules["vigil.settings"]):
        env["VIGIL_STATUS_WEBHOOK_ALLOW_PRIVATE"] = "1"  # the code before vigil.http's allow-list
    return env


class Worker:
    """A `celery -A vigil worker` process with ARGV's options (a Procfile line), in its own process group."""

    def __init__(self, argv: list[str], env: dict, log: Path):
        self.log = log
        # Gossip, mingle and heartbeats only slow the start; they change nothing of what is consumed.
        command = [str(CELERY), *argv[1:], "--without-gossip", "--without-mingle", "--without-heartbeat"]
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the worker exited:\n{self.tail()}"
            if " ready." in self.log.read_text():
                return
            time.sleep(0.1)
        pytest.fail(f"the worker was not ready in {timeout} s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def tail(self) -> str:
        return "\n".join(self.log.read_text().splitlines()[-30:])


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def wait_for_other_sessions_to_end() -> None:
    """The workers' database sessions, before the test database is flushed."""

    def others() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0]

    wait_for(lambda: others() == 0, timeout=15)


@pytest.fixture
def real_workers(redis_url, transactional_db, tmp_path, settings):
    """start(argv, name): a real worker process on this test's database and Redis, stopped afterwards."""
    need("PostgreSQL", connection.vendor == "postgresql", "the worker processes share the test database (DATABASE_URL)")
    import redis

    settings.VIGIL_OUTBOUND_ALLOWED_NETWORKS = LOOPBACK.split(",")
    settings.VIGIL_STATUS_WEBHOOK_ALLOW_PRIVATE = True  # the setting before vigil.http's allow-list
    client = redis.Redis.from_url(redis_url)
    stale = [*routed_queues(), *client.scan_iter("unacked*")]
    client.delete(*stale)
    env = worker_environment(redis_url, tmp_path)
    started: list[Worker] = []

    def start(argv: list[str], name: str) -> Worker:
        worker = Worker(argv, env, tmp_path / f"{name}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    wait_for_other_sessions_to_end()
    client.delete(*[*routed_queues(), *client.scan_iter("unacked*")])


@pytest.mark.celery_worker
def test_a_page_leaves_queued_within_10_s_while_slow_webhooks_hold_every_bulk_worker_slot(real_workers):
    workers = {name: argv for name, argv in procfile_workers().items() if queues_of(argv) - {"probes"}}
    bulk_slots = sum(
        int(option(argv, "--concurrency", "-c") or 1) for argv in workers.values() if "comms" in queues_of(argv)
    )
    assert bulk_slots >= 1, "some worker serves the comms queue"
    drip = DripServer().start()
    try:
        running = [real_workers(argv, name) for name, argv in workers.items()]
        for worker in running:
            worker.wait_ready()
        # As many slow subscribers as fill every send task the bulk worker can run (each claims a batch).
        slow = bulk_slots * WebhookChannel.max_batch
        Subscriber.objects.bulk_create(
            Subscriber(kind="webhook", address=f"{drip.url}/hook/{i}", confirmed_at=timezone.now()) for i in range(slow)
        )
        api = Component.objects.create(name="Checkout API")
        outage, _ = do_declare(SYSTEM, title="Checkout errors", components=[api])
        do_post_update(SYSTEM, outage, PublicStatus.INVESTIGATING, "We are looking into errors at checkout.")
        assert wait_for(lambda: drip.most_held >= bulk_slots, timeout=30), (
            f"the slow subscribers never held the bulk worker's {bulk_slots} slots (held {drip.most_held}):\n"
            + "\n".join(w.tail() for w in running)
        )

        oncall = make_user("olivia-oncall", Role.RESPONDER)
        down, _ = do_declare(SYSTEM, title="Database down")
        with transaction.atomic():
            page = paging.page(oncall, down)
        paged_at = time.monotonic()
        rows = Notification.objects.filter(page=page)
        assert rows.exists(), "the page has its outbox row"
        sent = wait_for(lambda: not rows.exclude(state=State.SENT).exists(), timeout=10)
        waited = time.monotonic() - paged_at
        states = sorted(rows.values_list("state", flat=True))
        assert sent, f"the page was still {states} after {waited:.1f} s behind the slow subscribers"
        held = Notification.objects.filter(subscriber__isnull=False, state=State.SENDING).count()
        assert held >= bulk_slots, "the page went out while the slow subscribers still held the bulk worker"
    finally:
        drip.stop()


@pytest.mark.celery_worker
def test_a_send_stopped_by_its_soft_time_limit_puts_back_every_row_it_holds(real_workers):
    from comms.tasks import send

    drip = DripServer(fast={"/fast-1", "/fast-2"}).start()
    try:
        now = timezone.now()
        paths = ["/fast-1", "/slow", "/fast-2"]  # sent in this order: the third is never reached
        Notification.objects.bulk_create(
            Notification(
                medium="webhook",
                channel="webhook",
                destination=f"{drip.url}{path}",
                body='{"event": "incident.update"}',
                next_attempt_at=now - timedelta(seconds=10 - i),
            )
            for i, path in enumerate(paths)
        )
        worker = real_workers(
            ["celery", "-A", "vigil", "worker", "-Q", "comms", "-c", "1", "-P", "prefork", "-l", "INFO"], "bulk"
        )
        worker.wait_ready()
        send.apply_async(args=["webhook"], soft_time_limit=2, time_limit=60)
        rows = Notification.objects.order_by("pk")
        assert wait_for(lambda: drip.most_held == 1, timeout=20), worker.tail()
        done = wait_for(lambda: not rows.filter(state=State.SENDING).exists(), timeout=10)
        assert done, f"rows left in `sending` for the lease to find:\n{worker.tail()}"
        states = [(row.destination.removeprefix(drip.url), row.state) for row in rows]
        assert states == [("/fast-1", State.SENT), ("/slow", State.QUEUED), ("/fast-2", State.QUEUED)]
        for row in rows.filter(state=State.QUEUED):
            assert row.claim is None and "time limit" in row.error
        assert drip.paths == ["/fast-1", "/slow"], "nothing more was sent after the soft limit"
        assert "Hard time limit" not in worker.log.read_text(), "the task stopped by itself, not by a kill"
    finally:
        drip.stop()
