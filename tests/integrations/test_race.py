"""Identical alerts arriving at the same moment: the database's unique constraints keep one of each.

Threads post through the real view, each on its own connection. SQLite serialises
writers, so the race is only real on PostgreSQL. Each race runs with repeats counted in
the database, and in Redis (flushed before the counts are read).
"""

import threading

import pytest
from django.db import connection

from incidents.integrations.buffer import flush_repeats
from incidents.models import Alert, Incident

from .conftest import payload, post

THREADS = 6


@pytest.fixture(params=["database", "redis"], autouse=True)
def repeats_in(request):
    request.getfixturevalue("buffer" if request.param == "redis" else "without_redis")


def _at_once(*bodies_by_thread):
    """Post each body from its own thread, all released together. Returns the status codes."""
    barrier = threading.Barrier(len(bodies_by_thread))
    codes, errors = [], []

    def run(integration, body):
        try:
            barrier.wait(timeout=10)
            codes.append(post(integration, body).status_code)
        except Exception as exc:  # a thread's failure must fail the test, not vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=args) for args in bodies_by_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return codes


def test_it_opens_one_incident_for_identical_alerts_arriving_together(postgres, transactional_db, alertmanager):
    codes = _at_once(*[(alertmanager, payload("alertmanager", "firing"))] * THREADS)
    assert codes == [200] * THREADS
    assert flush_repeats().complete
    assert Incident.objects.count() == 1
    alert = Alert.objects.get()
    assert alert.status == "firing"
    assert alert.received_count == THREADS
    assert alert.incident == Incident.objects.get()


def test_different_alerts_of_one_group_arriving_together_share_one_incident(postgres, transactional_db, grafana):
    bodies = []
    for i in range(THREADS):
        body = payload("grafana", "firing")
        for alert in body["alerts"]:
            alert["fingerprint"] = f"{alert['fingerprint']}-{i % 3}"
        if i % 2:
            body["alerts"].reverse()  # the same rows, sent in the other order
        bodies.append((grafana, body))
    codes = _at_once(*bodies)
    assert codes == [200] * THREADS
    incident = Incident.objects.get()
    assert Alert.objects.filter(status="firing").count() == 6
    assert set(Alert.objects.values_list("incident", flat=True)) == {incident.pk}


def test_a_new_alert_racing_the_last_resolution_never_lands_on_a_resolved_incident(
    postgres, transactional_db, alertmanager
):
    def firing(fingerprint):
        body = payload("alertmanager", "firing")
        body["alerts"][0]["fingerprint"] = fingerprint
        return body

    def resolved(fingerprint):
        body = firing(fingerprint)
        body["alerts"][0]["status"] = "resolved"
        return body

    for round_ in range(5):
        post(alertmanager, firing(f"old-{round_}"))
        _at_once((alertmanager, resolved(f"old-{round_}")), (alertmanager, firing(f"new-{round_}")))
        new = Alert.objects.get(fingerprint=f"new-{round_}")
        assert new.status == "firing"
        assert new.incident.is_open, f"round {round_}: a firing alert sits on resolved incident {new.incident}"
        post(alertmanager, resolved(f"new-{round_}"))
        assert not Incident.objects.open().exists()
