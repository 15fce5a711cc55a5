"""Retries with back-off on 429, 5xx and timeouts; permanent refusals fail at once; nothing sent twice."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from comms import outbox, services
from comms.models import Fanout, Notification, Stakeholder, State
from incidents.models import PublicStatus
from incidents.services import do_post_update


@pytest.fixture
def planned(actor, incident, api_component):
    """plan(emails=[...], phones=[...]) writes the rows of one update to those people."""

    def plan(emails=(), phones=()):
        people = [Stakeholder(name=e, email=e) for e in emails]
        people += [Stakeholder(name=p, phone=p, channels=["sms"]) for p in phones]
        api_component.interested_stakeholders.add(*Stakeholder.objects.bulk_create(people))
        update = do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Errors on the API.")
        Fanout.objects.create(update=update)
        outbox.plan_update(update.pk)
        return Notification.objects.filter(update=update)

    return plan


PHONES = ["+14155552671", "+14155552672", "+14155552673"]


def test_a_429_is_retried_after_the_retry_after_it_names(planned, fake_twilio, fast_retries):
    rows = planned(phones=PHONES[:1])
    fake_twilio.fail_next(1, status=429, retry_after="1")
    before = timezone.now()
    outbox.send_due("twilio_sms")
    row = rows.get()
    assert (row.state, row.attempts) == (State.QUEUED, 1)
    assert "HTTP 429" in row.error
    assert row.next_attempt_at >= before + timedelta(seconds=1), "Retry-After is honoured over a shorter back-off"
    assert outbox.send_due("twilio_sms") == 0, "not due yet"
    time.sleep(1.05)
    outbox.send_due("twilio_sms")
    row.refresh_from_db()
    assert (row.state, row.attempts, row.error) == (State.SENT, 2, "")
    assert fake_twilio.sent_to() == PHONES[:1]
    assert len(fake_twilio.requests) == 2


def test_a_500_is_retried_with_back_off_until_accepted(planned, fake_sendgrid, fast_retries):
    # One recipient: with two, each row's own jitter may split them into separate requests on a
    # slow machine, and the count of requests would measure the scheduler, not the retries.
    rows = planned(emails=["a@example.com"])
    fake_sendgrid.fail_next(2, status=500)
    for _ in range(20):
        outbox.send_due("sendgrid")
        if not rows.exclude(state=State.SENT).exists():
            break
        time.sleep(0.06)
    assert set(rows.values_list("state", "attempts")) == {(State.SENT, 3)}
    assert fake_sendgrid.accepted_addresses() == ["a@example.com"]
    assert len(fake_sendgrid.requests) == 3


def test_back_off_grows_and_has_jitter(settings):
    settings.VIGIL_COMMS_RETRY_BASE = 10.0
    settings.VIGIL_COMMS_RETRY_CAP = 100.0
    delays = [outbox.retry_delay(1, None) for _ in range(50)]
    assert all(5.0 <= d <= 10.0 for d in delays) and len(set(delays)) > 1
    assert all(20.0 <= outbox.retry_delay(3, None) <= 40.0 for _ in range(20))
    assert all(50.0 <= outbox.retry_delay(30, None) <= 100.0 for _ in range(20)), "capped"
    assert outbox.retry_delay(1, 60.0) == 60.0


def test_a_timeout_is_retried(planned, fake_twilio, fast_retries, settings):
    settings.VIGIL_COMMS_HTTP_TIMEOUT = 0.2
    rows = planned(phones=PHONES[:1])
    fake_twilio.delay = 0.5
    outbox.send_due("twilio_sms")
    row = rows.get()
    assert row.state == State.QUEUED and "Timeout" in row.error
    fake_twilio.delay = 0
    time.sleep(0.06)
    outbox.send_due("twilio_sms")
    row.refresh_from_db()
    assert row.state == State.SENT


def test_an_invalid_number_fails_at_once_without_retry(planned, fake_twilio, fast_retries):
    rows = planned(phones=PHONES[:2])
    fake_twilio.refuse = {PHONES[0]}
    outbox.send_due("twilio_sms")
    time.sleep(0.06)
    outbox.send_due("twilio_sms")
    bad, good = rows.get(destination=PHONES[0]), rows.get(destination=PHONES[1])
    assert (bad.state, bad.attempts) == (State.FAILED, 1)
    assert "21211" in bad.error
    assert good.state == State.SENT
    assert [r.form["To"] for r in fake_twilio.requests].count(PHONES[0]) == 1


def test_one_bad_address_fails_alone_in_a_sendgrid_batch(planned, fake_sendgrid):
    rows = planned(emails=["good1@example.com", "bad@example.com", "good2@example.com"])
    fake_sendgrid.refuse = {"bad@example.com"}
    outbox.send_due("sendgrid")
    assert rows.get(destination="bad@example.com").state == State.FAILED
    assert set(rows.exclude(destination="bad@example.com").values_list("state", flat=True)) == {State.SENT}
    assert sorted(fake_sendgrid.accepted_addresses()) == ["good1@example.com", "good2@example.com"]


def test_a_row_fails_after_the_last_attempt(planned, fake_twilio, fast_retries, settings):
    settings.VIGIL_COMMS_MAX_ATTEMPTS = 3
    rows = planned(phones=PHONES[:1])
    fake_twilio.fail_next(10, status=503)
    for _ in range(5):
        outbox.send_due("twilio_sms")
        time.sleep(0.06)
    row = rows.get()
    assert (row.state, row.attempts) == (State.FAILED, 3)
    assert len(fake_twilio.requests) == 3


def test_a_failed_row_is_retried_by_hand_and_sent_once(planned, fake_twilio, actor):
    rows = planned(phones=PHONES[:2])
    fake_twilio.refuse = {PHONES[0]}
    outbox.send_due("twilio_sms")
    fake_twilio.refuse = set()
    assert services.do_retry(actor, Notification.objects.all()) == 1
    outbox.send_due("twilio_sms")
    assert set(rows.values_list("state", flat=True)) == {State.SENT}
    assert sorted(fake_twilio.sent_to()) == PHONES[:2], "the row already sent was not sent again"


def test_rows_held_by_a_dead_worker_are_sent_after_the_lease_and_sent_rows_never_again(planned, fake_twilio, settings):
    rows = planned(phones=PHONES)
    outbox.send_due("twilio_sms")
    assert len(fake_twilio.sent_to()) == 3
    Notification.objects.filter(destination=PHONES[0]).update(state=State.QUEUED)
    held = outbox.claim("twilio_sms", 10)  # a worker claims the row, then dies before sending
    assert [r.destination for r in held] == [PHONES[0]]
    assert outbox.requeue_stalled() == 0, "still within the lease"
    settings.VIGIL_COMMS_SENDING_LEASE = 0
    assert outbox.requeue_stalled() == 1
    outbox.send_due("twilio_sms")
    assert set(rows.values_list("state", flat=True)) == {State.SENT}
    assert sorted(fake_twilio.sent_to()) == sorted([*PHONES, PHONES[0]])


def test_twilio_sends_concurrently_within_the_rate(planned, fake_twilio, settings):
    settings.VIGIL_TWILIO_CONCURRENCY = 8
    settings.VIGIL_TWILIO_RATE = 0
    phones = [f"+1415555{n:04d}" for n in range(2700, 2716)]
    planned(phones=phones)
    fake_twilio.delay = 0.2
    started = time.monotonic()
    outbox.send_due("twilio_sms")
    assert time.monotonic() - started < 16 * 0.2 / 3, "sixteen slow sends overlapped"
    assert sorted(fake_twilio.sent_to()) == phones


def test_the_rate_limit_spaces_twilio_sends(planned, fake_twilio, settings):
    settings.VIGIL_TWILIO_RATE = 20
    phones = [f"+1415555{n:04d}" for n in range(2700, 2711)]
    planned(phones=phones)
    started = time.monotonic()
    outbox.send_due("twilio_sms")
    assert time.monotonic() - started >= 10 / 20 * 0.95
    assert len(fake_twilio.sent_to()) == 11


def test_a_live_workers_long_batch_is_not_taken_back_however_long_it_takes(planned, fake_twilio, settings):
    planned(phones=PHONES)
    held = outbox.claim("twilio_sms", 10)
    Notification.objects.update(claimed_at=timezone.now() - timedelta(hours=1))  # a slow batch began long ago
    recorder = outbox.Recorder(held)
    recorder.add(held[0], "SM1")
    recorder.flush()  # the worker is heard from: the rows still waiting get a fresh lease
    settings.VIGIL_COMMS_SENDING_LEASE = 60
    assert outbox.requeue_stalled() == 0
    assert sorted(Notification.objects.values_list("state", flat=True)) == [State.SENDING, State.SENDING, State.SENT]


def test_a_burst_of_outcomes_renews_the_lease_of_the_rows_still_waiting_once_not_after_every_group(
    planned, fake_twilio, settings
):
    settings.VIGIL_COMMS_SENDING_LEASE = 0.4  # renewed at most every 0.1 s
    planned(phones=[*PHONES, "+14155552674"])
    held = outbox.claim("twilio_sms", 10)
    recorder = outbox.Recorder(held)
    long_ago = timezone.now() - timedelta(hours=1)

    def write(row, provider_id):
        Notification.objects.filter(state=State.SENDING).update(claimed_at=long_ago)
        recorder.add(row, provider_id)
        recorder.flush()
        return Notification.objects.get(pk=held[-1].pk).claimed_at > long_ago

    assert write(held[0], "SM1"), "renewed at the first write"
    assert not write(held[1], "SM2"), "not again at the next, a moment later"
    time.sleep(0.15)
    assert write(held[2], "SM3"), "renewed once a quarter of the lease has passed"
