"""A worker killed halfway through a 2,000-recipient fan-out loses nothing, and re-sends only what was in flight.

Real `celery -A vigil worker` processes on Redis and PostgreSQL send one public update by
email and SMS to the fake SendGrid and Twilio of this process. The first worker is killed
with SIGKILL once 1,200 of the 2,000 SMS are out and an email batch is in flight at
SendGrid (the fake holds it, then accepts it: the worst case, a provider that took what the
worker never heard about). A second worker starts; this test plays beat, queueing the
sweeper every second, which takes back the dead worker's rows after VIGIL_COMMS_SENDING_LEASE
(4 s here; a live worker renews the lease of its batch as it goes).
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from comms.models import Fanout, Notification, Stakeholder, State
from comms.progress import update_counts
from incidents.models import PublicStatus
from incidents.services import do_declare, do_post_update
from tests.conftest import need
from vigil.audit import SYSTEM

from .conftest import TWILIO_SID
from .fakes import FakeSendGrid, FakeTwilio

RECIPIENTS = 2000
CELERY = Path(sys.executable).parent / "celery"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.redis]


class HeldSendGrid(FakeSendGrid):
    """Answers the first request at once and holds every later one until released: a batch in flight."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()
        self.holding = threading.Event()
        self.answered = 0

    def answer(self, path, body):
        with self.lock:
            self.answered += 1
            first = self.answered == 1
        if not first and not self.release.is_set():
            self.holding.set()
            self.release.wait(timeout=60)
        return super().answer(path, body)


def worker_environment(redis_url: str, sendgrid: FakeSendGrid, twilio: FakeTwilio, var_dir: Path) -> dict:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    database_url = f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=f"{database_url}/{db['NAME']}",  # the test database this process writes and commits to
        REDIS_URL=redis_url,
        VIGIL_VAR_DIR=str(var_dir),
        SENDGRID_API_KEY="SG.test-key",
        VIGIL_SENDGRID_API_URL=sendgrid.url,
        TWILIO_ACCOUNT_SID=TWILIO_SID,
        TWILIO_AUTH_TOKEN="twilio-test-token",
        TWILIO_FROM_NUMBER="+15005550006",
        VIGIL_TWILIO_API_URL=twilio.url,
        VIGIL_TWILIO_RATE="0",
        VIGIL_COMMS_SENDING_LEASE="4",
        LOG_LEVEL="INFO",
    )
    return env


class Worker:
    """One `celery -A vigil worker` process on the comms queue, in its own process group."""

    def __init__(self, env: dict, log: Path, name: str):
        self.log = log
        command = [
            str(CELERY),
            "-A",
            "vigil",
            "worker",
            "-Q",
            "comms",
            "-P",
            "threads",
            "-c",
            "4",
            "-n",
            name,
            "-l",
            "INFO",
        ]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the worker exited:\n{self.tail()}"
            if " ready." in self.log.read_text():
                return
            time.sleep(0.1)
        pytest.fail(f"the worker was not ready in {timeout} s:\n{self.tail()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return "\n".join(self.log.read_text().splitlines()[-30:])


def purge_comms_queue(redis_url: str) -> None:
    """Vigil's comms queue and Celery's unacknowledged messages in this Redis database, from earlier runs."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = [*client.scan_iter("comms*"), *client.scan_iter("unacked*")]
    if keys:
        client.delete(*keys)


def wait_for(condition, timeout: float, what: str, poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(poll)


@pytest.fixture
def fakes():
    sendgrid, twilio = HeldSendGrid().start(), FakeTwilio().start()
    twilio.delay = 0.02  # slow enough that the kill lands mid-send
    yield sendgrid, twilio
    sendgrid.release.set()
    sendgrid.stop()
    twilio.stop()


@pytest.fixture
def audience(transactional_db):
    need("PostgreSQL", connection.vendor == "postgresql", "the worker processes share the test database (DATABASE_URL)")
    from incidents.models import Component

    component = Component.objects.create(name="API")
    people = Stakeholder.objects.bulk_create(
        Stakeholder(name=f"P{i}", email=f"p{i}@example.com", phone=f"+1415{2000000 + i:07d}", channels=["email", "sms"])
        for i in range(RECIPIENTS)
    )
    component.interested_stakeholders.add(*people)
    return component, people


def sessions() -> set[int]:
    """The backend pids of the other sessions on this test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def wait_for_dead_connections(before: set[int]) -> None:
    """Until the killed worker's database sessions (those not open BEFORE it started) end: a COMMIT it had
    already written to its socket is still carried out by PostgreSQL after the kill, and must land before
    the rows are counted. Sessions of this test process's own threads (a live server) are left out."""
    wait_for(lambda: not sessions() - before, timeout=20, what="the killed worker's database sessions to end")


def in_sending(update) -> dict[str, int]:
    rows = Notification.objects.filter(update=update, state=State.SENDING)
    return dict(rows.values_list("channel").annotate(n=Count("pk")).order_by())


def unfinished(update) -> int:
    return Notification.objects.filter(update=update, state__in=[State.QUEUED, State.SENDING]).count()


def test_a_worker_killed_mid_fan_out_loses_nothing_and_resends_only_what_was_in_flight(
    redis_url, audience, fakes, tmp_path
):
    from comms.tasks import sweep

    component, people = audience
    sendgrid, twilio = fakes
    purge_comms_queue(redis_url)
    env = worker_environment(redis_url, sendgrid, twilio, tmp_path)
    before = sessions()
    first = Worker(env, tmp_path / "worker-1.log", "reliability-1@%h")
    second = None
    try:
        first.wait_ready()
        incident, _ = do_declare(SYSTEM, title="API errors", components=[component])
        update = do_post_update(SYSTEM, incident, PublicStatus.INVESTIGATING, "We are looking into errors.")

        wait_for(
            # Past 1,000: inside the third and fourth 500-row SMS batches, not between batches.
            lambda: len(twilio.accepted()) >= RECIPIENTS * 3 // 5 and sendgrid.holding.is_set(),
            timeout=30,
            what=f"1,200 SMS out and an email batch in flight:\n{first.tail()}",
        )
        first.kill()
        wait_for_dead_connections(before)
        at_kill = in_sending(update)
        sms_at_kill = len(twilio.accepted())
        sendgrid.release.set()  # SendGrid takes the batch whose answer the dead worker never heard
        assert sms_at_kill < RECIPIENTS, "the kill landed after the SMS were all sent"
        assert at_kill.get("sendgrid", 0) > 0, "the kill landed after the email batch was recorded"

        second = Worker(env, tmp_path / "worker-2.log", "reliability-2@%h")
        second.wait_ready()
        deadline = time.monotonic() + 25
        while unfinished(update) and time.monotonic() < deadline:
            sweep.delay()  # what beat does every 10 s
            time.sleep(1)
        assert unfinished(update) == 0, f"rows left unsent:\n{second.tail()}"
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()
        purge_comms_queue(redis_url)

    emails = Counter(sendgrid.accepted_addresses())
    texts = Counter(twilio.sent_to())
    assert set(emails) == {p.email for p in people}, "every recipient got the email"
    assert set(texts) == {p.phone for p in people}, "every recipient got the SMS"
    assert max(emails.values()) <= 2 and max(texts.values()) <= 2, "nobody got a message three times"
    email_duplicates = sum(emails.values()) - RECIPIENTS
    sms_duplicates = sum(texts.values()) - RECIPIENTS
    assert email_duplicates <= at_kill.get("sendgrid", 0), (email_duplicates, at_kill)
    assert sms_duplicates <= at_kill.get("twilio_sms", 0), (sms_duplicates, at_kill)

    counts = update_counts(update)
    assert Fanout.objects.get(update=update).recipients == 2 * RECIPIENTS
    assert counts == {
        "total": 2 * RECIPIENTS, "queued": 0, "sent": 2 * RECIPIENTS, "delivered": 0, "bounced": 0, "failed": 0,
        "percent": 100, "running": False,
    }  # fmt: skip
    assert not Notification.objects.filter(update=update).exclude(state=State.SENT).exists()
