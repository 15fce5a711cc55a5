"""An Uptime Kuma database built from Kuma's own schema (fixtures/kuma_schema.sql), with monitors
of several kinds, notifications, tags and a status page with two groups. Hosts are example.com and
192.0.2.x (TEST-NET-1): nothing here is ever probed, the dispatcher does not run in these tests."""

import json
import sqlite3
from pathlib import Path

import pytest

SCHEMA = Path(__file__).parent / "fixtures" / "kuma_schema.sql"

MONITORS = [
    dict(
        id=1, name="Website", type="http", url="https://example.com/health", interval=30, retry_interval=15,
        maxretries=2, timeout=24, method="post", headers=json.dumps({"X-Api": "1"}), body='{"ping": true}',
        http_body_encoding="json", accepted_statuscodes_json=json.dumps(["200-299", "301"]), ignore_tls=1,
        maxredirects=0, description="The public site",
    ),
    dict(
        id=2, name="Login page", type="keyword", url="http://192.0.2.10/login", keyword="Welcome",
        invert_keyword=1, active=0, interval=60, maxretries=0,
    ),
    dict(id=3, name="Database", type="port", hostname="192.0.2.20", port=5432, interval=20, maxretries=0),
    dict(
        id=4, name="Mail DNS", type="dns", hostname="example.com", dns_resolve_type="MX",
        dns_resolve_server="192.0.2.53", port=53, interval=300, retry_interval=60, maxretries=1,
    ),
    dict(
        id=5, name="Nightly backup", type="push", push_token="kumatoken", interval=86400, retry_interval=600,
        maxretries=1,
    ),
    dict(id=6, name="Router", type="ping", hostname="192.0.2.1"),
    dict(id=7, name="Maintenance page", type="http", url="https://example.com/maintenance", upside_down=1),
    dict(id=8, name="Worker container", type="docker"),
]  # fmt: skip


def insert(connection: sqlite3.Connection, table: str, row: dict) -> None:
    columns = ", ".join(f'"{name}"' for name in row)
    marks = ", ".join("?" for _ in row)
    connection.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', list(row.values()))  # noqa: S608


def build_kuma_db(path: Path, extra_monitors: list[dict] = ()) -> Path:
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA.read_text())
    for row in [*MONITORS, *extra_monitors]:
        insert(connection, "monitor", row)
    insert(connection, "notification", dict(id=1, name="Ops mail", config=json.dumps({"type": "smtp"})))
    insert(connection, "notification", dict(id=2, name="Hook", config=json.dumps({"type": "webhook"})))
    insert(connection, "monitor_notification", dict(monitor_id=1, notification_id=1))
    insert(connection, "monitor_notification", dict(monitor_id=3, notification_id=1))
    insert(connection, "tag", dict(id=1, name="prod", color="#ff0000"))
    insert(connection, "monitor_tag", dict(monitor_id=1, tag_id=1, value=""))
    insert(
        connection, "status_page", dict(id=1, slug="status", title="Example status", icon="/icon.svg", theme="light")
    )
    insert(connection, "group", dict(id=1, name="Services", public=1, weight=1, status_page_id=1))
    insert(connection, "group", dict(id=2, name="Infrastructure", public=1, weight=2, status_page_id=1))
    insert(connection, "monitor_group", dict(monitor_id=1, group_id=1, weight=1))
    insert(connection, "monitor_group", dict(monitor_id=2, group_id=1, weight=2))
    insert(connection, "monitor_group", dict(monitor_id=3, group_id=2, weight=1))
    for status in (1, 0):
        insert(connection, "heartbeat", dict(monitor_id=1, status=status, time="2026-01-01 00:00:00"))
    connection.commit()
    connection.close()
    return path


@pytest.fixture
def kuma_db(tmp_path) -> Path:
    return build_kuma_db(tmp_path / "kuma.db")


# --- The on-call importers (PagerDuty, Opsgenie, Grafana OnCall) ----------------------------------


def oncall_counts() -> tuple[int, ...]:
    """How many people, schedules, rotations, overrides, policies, integrations, teams, records and audit rows."""
    from django.contrib.auth import get_user_model

    from importers.models import ImportedObject
    from incidents.models import EscalationPolicy, Integration, Override, Rotation, Schedule, Team
    from vigil.models import AuditEntry

    models = [Schedule, Rotation, Override, EscalationPolicy, Integration, Team, ImportedObject, AuditEntry]
    return (get_user_model().objects.count(), *(model.objects.count() for model in models))


@pytest.fixture
def ben():
    """A Vigil account the sources' Ben Brown matches by email."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("ben", email="ben@example.com", password="unused-pass-123")
