"""A concurrent channel stopped by the send task's soft time limit sends nothing twice (issue #19's bench
found SMS sent twice): messages waiting for their turn under the rate never start, the ones in flight
finish, and their outcomes are recorded before every other row is put back in the queue."""

import signal
import threading
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from comms import outbox
from comms.channels.base import ConcurrentChannel
from comms.models import Notification, State

pytestmark = pytest.mark.django_db


class SlowChannel(ConcurrentChannel):
    """Takes 0.3 s a message, 10 starts a second, 4 at once; records every message it sent."""

    kind = "webhook"
    concurrency = 4
    rate = 10.0

    def __init__(self):
        self.sent: list[int] = []
        self.lock = threading.Lock()

    def send(self, message):
        time.sleep(0.3)
        with self.lock:
            self.sent.append(message.id)
        return f"id-{message.id}"


def rows(count: int) -> list[Notification]:
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            medium="webhook", channel="webhook", destination=f"http://192.0.2.1/{i}", body="{}", next_attempt_at=now
        )
        for i in range(count)
    )
    return outbox.claim("webhook", count)


@pytest.fixture
def soft_limit_after():
    """Raise SoftTimeLimitExceeded in this (the main) thread after SECONDS, as Celery's soft limit does."""

    def arm(seconds: float):
        def fire(signum, frame):
            raise SoftTimeLimitExceeded()

        signal.signal(signal.SIGALRM, fire)
        signal.setitimer(signal.ITIMER_REAL, seconds)

    yield arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


def test_a_stopped_concurrent_send_records_what_was_sent_and_gives_back_the_rest(soft_limit_after):
    claimed = rows(30)  # at 10 a second, 3 s of work: the limit comes at 0.8 s
    channel = SlowChannel()
    soft_limit_after(0.8)
    with pytest.raises(SoftTimeLimitExceeded):
        outbox.deliver(channel, claimed)
    time.sleep(0.5)  # anything still running would send now
    sent = set(channel.sent)
    assert 0 < len(sent) < 30 and len(channel.sent) == len(sent)
    states = dict(Notification.objects.values_list("pk", "state"))
    assert {pk for pk, state in states.items() if state == State.SENT} == sent, "every message sent is recorded"
    assert {pk for pk, state in states.items() if state == State.QUEUED} == set(states) - sent, "the rest go back"
    # Sent again from the queue: only what was never sent goes out, once.
    again = outbox.claim("webhook", 30, timezone.now() + timezone.timedelta(hours=1))
    assert not sent & {row.pk for row in again}


def test_stopped_while_recording_an_outcome_the_messages_in_flight_are_still_recorded(monkeypatch):
    claimed = rows(12)
    channel = SlowChannel()
    add = outbox.Recorder.add
    calls = []

    def add_then_stop(self, row, outcome):
        add(self, row, outcome)
        calls.append(row.pk)
        if len(calls) == 2:  # the limit strikes in the outbox's own code, between two outcomes
            raise SoftTimeLimitExceeded()

    monkeypatch.setattr(outbox.Recorder, "add", add_then_stop)
    with pytest.raises(SoftTimeLimitExceeded):
        outbox.deliver(channel, claimed)
    time.sleep(0.5)
    sent = set(channel.sent)
    states = dict(Notification.objects.values_list("pk", "state"))
    assert {pk for pk, state in states.items() if state == State.SENT} == sent
    assert len(channel.sent) == len(sent) and len(sent) < 12
