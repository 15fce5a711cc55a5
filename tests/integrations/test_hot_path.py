"""The repeated-alert path outside a transaction without Redis, as in production: PostgreSQL's prepared statement.

(With Redis, repeats are counted there: test_repeats.py.)
"""

import json

import pytest
from django.db import connection

from incidents.integrations.statements import REPEAT_STATEMENT
from incidents.models import Alert, Incident, IncidentEvent

from .conftest import payload, post

pytestmark = pytest.mark.usefixtures("without_redis")


def _show(setting: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        return cursor.fetchone()[0]


def test_repeats_are_counted_by_a_prepared_statement(postgres, transactional_db, alertmanager):
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO on")  # the session's own (tests/conftest.py turns it off)
    for _ in range(3):
        assert post(alertmanager, payload("alertmanager", "firing")).status_code == 200
    assert Alert.objects.get().received_count == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [REPEAT_STATEMENT])
        assert cursor.fetchone()[0] == 1
    # synchronous_commit is off for the repeat's own statement only.
    assert _show("synchronous_commit") == "on"


def test_a_session_that_lost_the_prepared_statement_prepares_it_again(postgres, transactional_db, alertmanager):
    post(alertmanager, payload("alertmanager", "firing"))
    post(alertmanager, payload("alertmanager", "firing"))
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a connection pooler's DISCARD ALL does
    response = post(alertmanager, payload("alertmanager", "firing"))
    assert response.status_code == 200
    assert response.json()["repeated"] == 1
    assert Alert.objects.get().received_count == 3


def test_the_prepared_repeat_reads_the_firing_index_even_in_its_generic_plan(postgres, transactional_db, alertmanager):
    # A generic plan cannot use a partial index whose condition is a parameter: it would read
    # every alert row of the integration, and a repeat would cost more the more alerts it had.
    body = payload("alertmanager", "firing")
    post(alertmanager, body)
    post(alertmanager, body)  # prepared
    incident = Alert.objects.get().incident
    others = (Alert(integration=alertmanager, incident=incident, fingerprint=f"other-{i}") for i in range(300))
    Alert.objects.bulk_create(others)  # enough rows that reading them all costs more than the index
    alert = body["alerts"][0]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_alert")
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            cursor.execute(
                f"EXPLAIN EXECUTE {REPEAT_STATEMENT} (now(), %s, %s, %s, %s, %s, true, 'resolved')",
                ["t", json.dumps(alert["annotations"]), alert["fingerprint"], alertmanager.token, "alertmanager"],
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET plan_cache_mode")
    assert "alert_one_firing_per_fingerprint" in plan, plan


def test_a_new_alert_joins_its_groups_open_incident_in_one_statement(
    postgres, transactional_db, alertmanager, django_assert_num_queries
):
    post(alertmanager, payload("alertmanager", "firing"))
    incident = Incident.objects.get()
    body = payload("alertmanager", "firing")
    body["alerts"][0]["fingerprint"] = "another"
    body["alerts"][0]["annotations"]["summary"] = "Probe failed for 127.0.0.1:8100"
    # The repeat's UPDATE finds nothing, the integration is looked up, then one statement.
    with django_assert_num_queries(3):
        response = post(alertmanager, body).json()
    assert (response["new"], response["incidents"]["joined"]) == (1, [incident.pk])
    alert = Alert.objects.get(fingerprint="another")
    assert (alert.incident, alert.status, alert.received_count) == (incident, "firing", 1)
    assert alert.labels["job"] == "blackbox" and alert.annotations["summary"] == "Probe failed for 127.0.0.1:8100"
    event = incident.events.get(kind=IncidentEvent.Kind.ALERT)
    assert event.message == "Alert firing: Probe failed for 127.0.0.1:8100"
    assert event.actor_label == "Prometheus"
    assert event.data == {"alert": alert.pk, "fingerprint": "another", "integration": alertmanager.pk}
