"""The repeated-alert path outside a transaction, as in production: PostgreSQL's prepared statement."""

import pytest
from django.db import connection

from incidents.models import Alert
from tests.conftest import need

from .conftest import payload, post


@pytest.fixture
def postgres():
    need("PostgreSQL", connection.vendor == "postgresql", "the prepared statement is PostgreSQL's (set DATABASE_URL)")


def _show(setting: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        return cursor.fetchone()[0]


def test_repeats_are_counted_by_a_prepared_statement(postgres, transactional_db, alertmanager):
    for _ in range(3):
        assert post(alertmanager, payload("alertmanager", "firing")).status_code == 200
    assert Alert.objects.get().received_count == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'vigil_alert_repeat'")
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
