"""Repeats of known firing alerts counted in Redis, and added to the database by flushes.

These run on PostgreSQL with Redis (the buffer fixture), except the fallbacks.
"""

import logging
import threading
import time

import redis
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from incidents.integrations.buffer import PRIME_MAX_AGE_SECONDS, RepeatBuffer, flush_repeats, remember
from incidents.integrations.parsers import parse
from incidents.integrations.services import do_rotate_token, do_update_integration
from incidents.models import Alert, Incident
from incidents.services import do_resolve
from incidents.tasks import flush_alert_repeats
from tests.conftest import api_client_for
from vigil.audit import Actor
from vigil.buffers import Flushed

from .conftest import payload, post


def _firing(fingerprint="c8abf93e4616eadb", summary=None):
    body = payload("alertmanager", "firing")
    body["alerts"][0]["fingerprint"] = fingerprint
    if summary:
        body["alerts"][0]["annotations"]["summary"] = summary
    return body


def _resolved(fingerprint="c8abf93e4616eadb"):
    body = _firing(fingerprint)
    body["status"] = body["alerts"][0]["status"] = "resolved"
    return body


def _count(fingerprint="c8abf93e4616eadb") -> int:
    return sum(Alert.objects.filter(fingerprint=fingerprint).values_list("received_count", flat=True))


def test_a_repeat_of_a_known_alert_costs_no_query_and_is_added_by_a_flush(
    buffer, alertmanager, django_assert_num_queries
):
    post(alertmanager, _firing())
    with django_assert_num_queries(0):
        response = post(alertmanager, _firing())
    assert response.status_code == 200
    assert response.json()["repeated"] == 1 and response.json()["new"] == 0
    assert _count() == 1  # buffered, not yet in the row

    flushed = flush_repeats()
    assert (flushed.rows, flushed.added, flushed.complete) == (1, 1, True)
    assert _count() == 2
    alert = Alert.objects.get()
    alertmanager.refresh_from_db()
    assert alert.last_received_at >= alert.starts_at
    assert alertmanager.last_received_at == alert.last_received_at
    assert flush_repeats() == Flushed()  # nothing left: never added twice
    assert _count() == 2


def test_a_payload_of_several_known_alerts_is_counted_whole(buffer, grafana, django_assert_num_queries):
    post(grafana, payload("grafana", "firing"))
    with django_assert_num_queries(0):
        assert post(grafana, payload("grafana", "firing")).json()["repeated"] == 2
    flush_repeats()
    assert sorted(Alert.objects.values_list("received_count", flat=True)) == [2, 2]


def test_a_payload_with_a_new_alert_goes_to_the_database_whole(buffer, grafana):
    post(grafana, payload("grafana", "firing"))
    body = payload("grafana", "firing")
    body["alerts"][1]["fingerprint"] = "never-seen"
    response = post(grafana, body).json()
    assert (response["repeated"], response["new"]) == (1, 1)
    # The known alert was counted in the database, with the new one: nothing is buffered.
    assert flush_repeats().added == 0
    assert sorted(Alert.objects.values_list("received_count", flat=True)) == [1, 1, 2]


def test_a_changed_title_is_written_at_once_and_then_buffered_again(buffer, alertmanager):
    post(alertmanager, _firing())
    post(alertmanager, _firing(summary="Now it is worse"))
    assert Alert.objects.get().title == "Now it is worse"
    assert _count() == 2
    post(alertmanager, _firing(summary="Now it is worse"))
    assert _count() == 2
    assert flush_repeats().added == 1
    assert _count() == 3


def test_an_alert_firing_again_after_it_resolved_opens_a_new_incident(buffer, alertmanager):
    post(alertmanager, _firing())
    post(alertmanager, _firing())  # buffered
    assert post(alertmanager, _resolved()).json()["resolved"] == 1
    response = post(alertmanager, _firing()).json()
    assert response["new"] == 1 and response["incidents"]["opened"]
    assert Incident.objects.open().count() == 1
    flush_repeats()
    old, new = Alert.objects.order_by("pk")
    assert (old.status, old.received_count) == ("resolved", 2)
    assert (new.status, new.received_count) == ("firing", 1)


def test_an_incident_resolved_by_hand_sends_its_alerts_next_repeat_to_a_new_incident(buffer, alertmanager):
    post(alertmanager, _firing())
    post(alertmanager, _firing())  # buffered
    do_resolve(Actor(via="cli"), Incident.objects.get())
    response = post(alertmanager, _firing()).json()
    assert response["incidents"]["opened"]
    post(alertmanager, _firing())  # buffered again, against the new incident
    flush_repeats()
    alert = Alert.objects.get()
    assert alert.incident == Incident.objects.open().get()
    assert alert.received_count == 4


def test_a_disabled_integration_and_a_rotated_token_stop_counting_at_once(buffer, alertmanager):
    post(alertmanager, _firing())
    post(alertmanager, _firing())  # buffered
    do_update_integration(Actor(via="cli"), alertmanager, enabled=False)
    assert post(alertmanager, _firing()).status_code == 404
    do_update_integration(Actor(via="cli"), alertmanager, enabled=True)
    assert post(alertmanager, _firing()).status_code == 200

    old_path = alertmanager.get_ingest_path()
    post(alertmanager, _firing())  # buffered again
    do_rotate_token(Actor(via="cli"), alertmanager)
    assert post(alertmanager, _firing(), path=old_path).status_code == 404
    assert post(alertmanager, _firing()).status_code == 200
    flush_repeats()
    assert _count() == 5


def test_an_alert_edited_in_the_admin_is_counted_in_the_database_again(buffer, alertmanager):
    post(alertmanager, _firing())
    alert = Alert.objects.get()
    alert.status = Alert.Status.RESOLVED
    alert.save()
    assert post(alertmanager, _firing()).json()["new"] == 1


def test_a_marker_from_a_database_read_too_long_ago_is_not_written(buffer, alertmanager):
    post(alertmanager, _firing())
    buffer.clear()
    alert = Alert.objects.get()
    parsed = parse("alertmanager", _firing())[0]
    stale = time.monotonic() - PRIME_MAX_AGE_SECONDS - 1
    remember("alertmanager", alertmanager.token, "0", [(parsed, alert.pk, alert.incident_id)], stale)
    assert buffer.client.get(buffer.marker_key("alertmanager", alertmanager.token, parsed.fingerprint)) is None


# --- Concurrency ---------------------------------------------------------------------------------


def _while_flushing(workers: int, work) -> None:
    """Run work(i) in WORKERS threads, each on its own connection, with a thread flushing until they finish."""
    errors, running = [], threading.Semaphore(0)

    def worker(i):
        try:
            work(i)
        except Exception as exc:  # a thread's failure must fail the test, not vanish
            errors.append(exc)
        finally:
            connection.close()
            running.release()

    def flusher():
        finished = 0
        try:
            while finished < workers:
                flush_repeats()
                finished += running.acquire(blocking=False)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    threads.append(threading.Thread(target=flusher))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors


def test_repeats_posted_during_flushes_are_each_counted_exactly_once(buffer, alertmanager):
    fingerprints = [f"fp-{i}" for i in range(3)]
    for fingerprint in fingerprints:
        post(alertmanager, _firing(fingerprint))
    codes = []

    def work(i):
        client = Client()
        codes.extend(post(alertmanager, _firing(fingerprints[n % 3]), client=client).status_code for n in range(40))

    _while_flushing(4, work)
    assert flush_repeats().complete
    assert codes == [200] * 160
    assert sum(_count(f) for f in fingerprints) == 3 + 160


def test_a_flush_takes_the_buffer_atomically_against_concurrent_counts(buffer, alertmanager):
    post(alertmanager, _firing())
    parsed = parse("alertmanager", _firing())
    counted = []

    def work(i):
        counted.extend(buffer.count("alertmanager", alertmanager.token, parsed, timezone.now())[0] for _ in range(500))

    _while_flushing(3, work)
    assert flush_repeats().complete
    assert counted == [True] * 1500
    assert _count() == 1 + 1500


# --- A flush that fails midway ----------------------------------------------------------------------


def _buffered(alertmanager, repeats_count: int) -> None:
    post(alertmanager, _firing())
    for _ in range(repeats_count):
        post(alertmanager, _firing())
    assert _count() == 1


def test_a_batch_left_by_a_flush_that_died_after_its_commit_is_not_added_again(buffer, alertmanager, monkeypatch):
    _buffered(alertmanager, 3)

    def die(self, txid):
        raise redis.ConnectionError("the flush died after its commit")

    with monkeypatch.context() as patch:
        patch.setattr(RepeatBuffer, "done", die)
        assert not flush_repeats().complete
    assert _count() == 4
    assert buffer.take()["txid"]  # left behind, marked with its transaction
    monkeypatch.setattr(buffer, "_paused_until", 0.0)  # the Redis error paused the buffer
    assert flush_repeats().complete
    assert _count() == 4
    assert not buffer.pending()


def test_a_batch_whose_transaction_failed_is_added_by_the_next_flush(buffer, alertmanager, monkeypatch):
    _buffered(alertmanager, 3)
    claim = RepeatBuffer.claim

    def claim_then_fail(self, lock, txid):
        claim(self, lock, txid)
        raise DatabaseError("the connection dropped before the commit")

    with monkeypatch.context() as patch:
        patch.setattr(RepeatBuffer, "claim", claim_then_fail)
        assert not flush_repeats().complete
    assert _count() == 1
    assert flush_repeats().added == 3
    assert _count() == 4


def test_a_flush_that_lost_its_lock_commits_nothing(buffer, alertmanager, monkeypatch):
    _buffered(alertmanager, 2)
    claim = RepeatBuffer.claim

    def lose_lock_then_claim(self, lock, txid):
        self.client.delete(self.lock_key)  # it expired; another flush may own the batch
        return claim(self, lock, txid)

    with monkeypatch.context() as patch:
        patch.setattr(RepeatBuffer, "claim", lose_lock_then_claim)
        assert not flush_repeats().complete
    assert _count() == 1
    assert flush_repeats().added == 2
    assert _count() == 3


def test_a_batch_whose_transaction_is_still_open_is_left_alone(buffer, alertmanager):
    _buffered(alertmanager, 2)
    flushed, release, errors = threading.Event(), threading.Event(), []

    def flush_in_a_long_transaction():
        try:
            with transaction.atomic():
                assert flush_repeats().added == 2
                flushed.set()
                release.wait(10)
        except Exception as exc:  # a thread's failure must fail the test, not vanish
            errors.append(exc)
        finally:
            flushed.set()
            connection.close()

    thread = threading.Thread(target=flush_in_a_long_transaction)
    thread.start()
    assert flushed.wait(10)
    assert flush_repeats() == Flushed(complete=False)  # its batch may yet commit
    release.set()
    thread.join(10)
    assert not errors, errors
    assert _count() == 3
    assert flush_repeats() == Flushed()


# --- Reads and the beat task ------------------------------------------------------------------------


def test_the_integration_page_and_the_api_show_buffered_repeats(buffer, alertmanager, web_clients, viewer):
    _buffered(alertmanager, 2)
    page = web_clients["viewer"].get(alertmanager.get_absolute_url())
    assert "3\u00d7" in page.content.decode()  # 3 times
    post(alertmanager, _firing())
    alert = api_client_for(viewer).get("/api/v1/alerts/").json()["results"][0]
    assert alert["received_count"] == 4


def test_the_beat_task_flushes(buffer, alertmanager):
    _buffered(alertmanager, 2)
    assert flush_alert_repeats() == 2
    assert _count() == 3


# --- Without Redis --------------------------------------------------------------------------------


def test_without_redis_each_repeat_is_written_in_the_request(without_redis, alertmanager):
    post(alertmanager, _firing())
    assert post(alertmanager, _firing()).json()["repeated"] == 1
    assert _count() == 2
    assert flush_repeats() == Flushed()


def test_with_redis_down_repeats_are_written_in_the_request(postgres, transactional_db, settings, alertmanager, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    with caplog.at_level(logging.WARNING, logger="incidents.integrations.buffer"):
        post(alertmanager, _firing())
        assert post(alertmanager, _firing()).status_code == 200
        assert post(alertmanager, _firing()).status_code == 200
    assert _count() == 3
    warnings = [
        r for r in caplog.records if r.name == "incidents.integrations.buffer" and "Redis unavailable" in r.getMessage()
    ]
    assert len(warnings) == 1  # then the process leaves Redis alone for a while
    assert flush_repeats().complete


def test_a_payload_naming_one_alert_twice_counts_it_once(buffer, alertmanager):
    post(alertmanager, _firing())
    body = _firing()
    body["alerts"] = body["alerts"] * 2
    response = post(alertmanager, body).json()
    assert (response["alerts"], response["repeated"]) == (2, 1)
    flush_repeats()
    assert _count() == 2


def test_a_redis_that_lost_its_scripts_still_counts(buffer, alertmanager):
    post(alertmanager, _firing())
    buffer.client.script_flush()
    assert post(alertmanager, _firing()).json()["repeated"] == 1
    assert _count() == 1
    flush_repeats()
    assert _count() == 2


def test_an_integration_changed_since_it_was_cached_is_read_again(buffer, make_integration):
    integration = make_integration(severity="sev2")
    post(integration, _firing("aaa"))  # the integration is now cached by this process
    do_update_integration(Actor(via="cli"), integration, severity="sev4")
    body = _firing("bbb")
    del body["alerts"][0]["labels"]["severity"]
    body["groupKey"] = '{}:{alertname="Other"}'
    post(integration, body)
    assert Incident.objects.get(alerts__fingerprint="bbb").severity == "sev4"
