"""The circuit breaker per destination (vigil.breaker, configured by comms.channels.base).

After VIGIL_COMMS_BREAKER_FAILURES failures in a row to one host:port, rows to it are not tried:
they are rescheduled (never failed) with the reason on the row, and the receiver sees no
connection. After the cool-off one trial goes: a failure reopens the breaker, a success closes it.
Another destination is never held back. The state lives in Django's cache (Redis here), so every
worker process sees it.

The "dead" receiver is a port on 127.0.0.1 that resets each connection at once, which lets the
test count every connection attempt (a closed port would refuse them without a trace).
"""

import os
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from comms import outbox
from comms.models import Notification, State

from .fakes import FakeReceiver

THRESHOLD = 3
COOL_OFF = 1.0
ROOT = Path(__file__).resolve().parents[2]


def destination_key(url: str) -> str:
    from comms.channels.base import destination_key  # here, so the file runs (and fails) on code without one

    return destination_key(url)


def Breaker(*args, **kwargs):  # stands for the class
    from vigil.breaker import Breaker

    return Breaker(*args, **kwargs)


class Listener:
    """A port on 127.0.0.1 that counts connections. While `dead`, each is reset as soon as it is
    accepted (a receiver whose service is down); otherwise it answers 200."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.accepted = 0
        self.dead = True
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def start(self) -> "Listener":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
            if self.dead:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
                conn.close()
            else:
                threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    @staticmethod
    def _answer(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            while len(body) < length:
                body += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")


@pytest.fixture
def breaker_settings(settings):
    settings.VIGIL_COMMS_BREAKER_FAILURES = THRESHOLD
    settings.VIGIL_COMMS_BREAKER_COOL_OFF = COOL_OFF
    # The outgoing client may reach loopback here (before vigil.http, loopback webhooks needed no setting).
    settings.VIGIL_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture
def dead(breaker_settings):
    listener = Listener().start()
    yield listener
    listener.stop()


@pytest.fixture
def live(breaker_settings):
    fake = FakeReceiver().start()
    yield fake
    fake.stop()


def queue(url: str, count: int) -> list[int]:
    rows = Notification.objects.bulk_create(
        Notification(medium="webhook", channel="webhook", destination=url, body='{"event": "incident.update"}')
        for _ in range(count)
    )
    return [row.pk for row in rows]


def make_due() -> None:
    """What waiting does: every queued row is due now (back-off and cool-off alike)."""
    Notification.objects.filter(state=State.QUEUED).update(next_attempt_at=timezone.now())


def rows(url: str):
    return Notification.objects.filter(destination=url).order_by("pk")


def open_breaker(dead: Listener) -> None:
    queue(dead.url, THRESHOLD)
    outbox.send_due("webhook")
    assert dead.accepted == THRESHOLD, "each of the first failures was a real connection"


@pytest.mark.django_db
def test_after_three_failures_in_a_row_rows_to_that_destination_are_rescheduled_without_a_connection(dead):
    open_breaker(dead)
    assert set(rows(dead.url).values_list("state", flat=True)) == {State.QUEUED}, "a transient failure is retried"
    queue(dead.url, 2)
    make_due()
    before = timezone.now()
    outbox.send_due("webhook")

    assert dead.accepted == THRESHOLD, "no connection while the breaker is open"
    key = destination_key(dead.url)
    for row in rows(dead.url):
        assert row.state == State.QUEUED, "held back, never failed"
        assert row.error.startswith(f"Not tried: {key} failed or timed out {THRESHOLD} times in a row")
        assert before.timestamp() + COOL_OFF - 0.5 < row.next_attempt_at.timestamp() < before.timestamp() + COOL_OFF + 2
    # A row held back was not tried: its attempt is not counted.
    assert list(rows(dead.url).values_list("attempts", flat=True)) == [1, 1, 1, 0, 0]


@pytest.mark.django_db
def test_another_destination_is_sent_while_one_breaker_is_open(dead, live):
    open_breaker(dead)
    queue(dead.url, 2)
    queue(f"{live.url}/other", 2)
    make_due()
    outbox.send_due("webhook")
    assert dead.accepted == THRESHOLD
    assert len(live.requests) == 2
    assert set(rows(f"{live.url}/other").values_list("state", flat=True)) == {State.SENT}


@pytest.mark.django_db
def test_after_the_cool_off_one_trial_goes_and_its_failure_reopens_the_breaker(dead):
    open_breaker(dead)
    queue(dead.url, 3)
    time.sleep(COOL_OFF + 0.2)
    make_due()
    outbox.send_due("webhook")
    assert dead.accepted == THRESHOLD + 1, "exactly one trial request"
    assert rows(dead.url).filter(error__startswith="Not tried").count() == 5, "the rest wait for the next cool-off"
    make_due()
    outbox.send_due("webhook")
    assert dead.accepted == THRESHOLD + 1, "the failed trial reopened the breaker"


@pytest.mark.django_db
def test_a_successful_trial_closes_the_breaker_and_the_waiting_rows_go(dead):
    open_breaker(dead)
    queue(dead.url, 3)
    dead.dead = False  # the receiver is back
    time.sleep(COOL_OFF + 0.2)
    make_due()
    outbox.send_due("webhook")
    assert dead.accepted == THRESHOLD + 6, "the trial, then every waiting row"
    assert set(rows(dead.url).values_list("state", flat=True)) == {State.SENT}
    assert Breaker("comms", THRESHOLD, COOL_OFF).failures(destination_key(dead.url)) == 0


@pytest.mark.django_db
def test_with_the_breaker_off_every_row_is_tried(dead, settings):
    settings.VIGIL_COMMS_BREAKER_FAILURES = 0
    queue(dead.url, THRESHOLD + 2)
    outbox.send_due("webhook")
    assert dead.accepted == THRESHOLD + 2


def test_only_one_caller_gets_the_trial_when_the_cool_off_ends(redis_url):
    """One trial is Redis's atomic add (the cache whenever REDIS_URL is set). The file cache of a
    one-machine install has no atomic add: there, two callers racing may both get a trial."""
    breaker = Breaker(f"test-{uuid.uuid4().hex}", threshold=1, cool_off=0.3)
    assert breaker.failed("receiver.example:443") is True
    assert breaker.blocked_until("receiver.example:443") is not None
    time.sleep(0.4)
    barrier, answers = threading.Barrier(8), []

    def ask():
        barrier.wait()
        answers.append(breaker.blocked_until("receiver.example:443"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count(None) == 1, answers


def test_the_breaker_counts_in_host_and_port_of_url_destinations_only():
    assert destination_key("https://hooks.slack.com/services/T0/B0/x") == "hooks.slack.com:443"
    assert destination_key("http://127.0.0.1:8080/hook?a=1") == "127.0.0.1:8080"
    assert destination_key("https://Mastodon.Social") == "mastodon.social:443"
    assert destination_key("ada@example.com") == ""
    assert destination_key("+14155552671") == ""
    assert destination_key("http://host:99999/") == ""


def test_another_process_sees_an_open_breaker(redis_url, tmp_path):
    """Workers are separate processes: the state is in Redis, not in this one."""
    name = f"test-{uuid.uuid4().hex}"
    Breaker(name, threshold=1, cool_off=60).failed("receiver.example:443")
    script = (
        "import django; django.setup()\n"
        "from vigil.breaker import Breaker\n"
        f"print(Breaker({name!r}, threshold=1, cool_off=60).blocked_until('receiver.example:443') is not None)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "vigil.settings", "REDIS_URL": redis_url}
    env["VIGIL_VAR_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1:] == ["True"], done.stderr[-2000:]
