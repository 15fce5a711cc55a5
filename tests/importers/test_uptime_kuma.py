"""manage.py import_from uptime-kuma: the plan, the import, running it twice, bad rows, bad files."""

import hashlib
import io
import sqlite3

import pytest
from django.core.management import CommandError, call_command

from importers.models import ImportedObject
from importers.sources import IMPORTERS
from incidents.models import Component, ComponentGroup
from monitoring.models import Monitor
from vigil.models import AuditEntry

from .conftest import build_kuma_db

pytestmark = pytest.mark.django_db


def run(db, *args) -> str:
    out = io.StringIO()
    call_command("import_from", "uptime-kuma", "--db", str(db), *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    models = [Monitor, Component, ComponentGroup, ImportedObject, AuditEntry]
    return tuple(model.objects.count() for model in models)


def test_a_dry_run_prints_the_plan_and_writes_nothing(kuma_db):
    out = run(kuma_db, "--dry-run")

    assert counts() == (0, 0, 0, 0, 0)
    assert "dry run: nothing is written" in out
    assert "Will create (10):" in out  # 2 groups, 3 components, 5 monitors
    assert 'monitor "Website" (Kuma #1, http) -> HTTP(S) POST https://example.com/health' in out
    assert 'monitor "Login page" (Kuma #2, keyword) -> HTTP(S) GET http://192.0.2.10/login, paused' in out
    assert 'status page group "Services" -> component group' in out
    assert "Maps approximately (2):" in out
    assert "body sent with Content-Type: application/json" in out
    assert "its push URL is new" in out
    assert "Cannot map (" in out
    assert 'monitor "Router" (Kuma #6, ping): Vigil has no ICMP ping monitor' in out
    assert 'monitor "Maintenance page" (Kuma #7, http): upside-down mode' in out
    assert 'monitor "Worker container" (Kuma #8, docker): Vigil has no docker monitor' in out
    assert 'notification "Ops mail" (smtp, 2 monitors)' in out
    assert 'notification "Hook" (webhook, 0 monitors)' in out
    assert "tags prod: Vigil monitors have no tags" in out
    assert "2 heartbeat rows: check history is not imported" in out


def test_it_creates_each_monitor_with_kumas_settings(kuma_db):
    run(kuma_db)

    website = Monitor.objects.get(name="Website")
    assert website.kind == Monitor.Kind.HTTP
    assert website.target == "https://example.com/health"
    assert website.interval_seconds == 30
    assert website.retry_interval_seconds == 15
    assert website.failure_threshold == 3  # 2 retries, then down
    assert website.timeout_seconds == 24
    assert website.method == "POST"
    assert website.headers == {"X-Api": "1", "Content-Type": "application/json"}
    assert website.body == '{"ping": true}'
    assert website.expected_status == "200-299, 301"
    assert website.verify_tls is False
    assert website.follow_redirects is False
    assert website.keyword == ""
    assert website.state == Monitor.State.PENDING

    login = Monitor.objects.get(name="Login page")
    assert (login.kind, login.target, login.keyword, login.keyword_absent) == (
        Monitor.Kind.HTTP,
        "http://192.0.2.10/login",
        "Welcome",
        True,
    )
    assert login.state == Monitor.State.PAUSED and login.next_check_at is None
    assert (login.interval_seconds, login.retry_interval_seconds, login.failure_threshold) == (60, 60, 1)
    assert login.verify_tls is True and login.follow_redirects is True

    database = Monitor.objects.get(name="Database")
    assert (database.kind, database.target, database.port) == (Monitor.Kind.TCP, "192.0.2.20", 5432)
    assert (database.interval_seconds, database.failure_threshold) == (20, 1)

    dns = Monitor.objects.get(name="Mail DNS")
    assert (dns.kind, dns.target, dns.record_type, dns.resolver) == (
        Monitor.Kind.DNS,
        "example.com",
        "MX",
        "192.0.2.53",
    )
    assert (dns.interval_seconds, dns.retry_interval_seconds, dns.failure_threshold) == (300, 60, 2)

    backup = Monitor.objects.get(name="Nightly backup")
    assert (backup.kind, backup.period_seconds, backup.grace_seconds) == (Monitor.Kind.HEARTBEAT, 86400, 600)

    assert not Monitor.objects.filter(name__in=["Router", "Maintenance page", "Worker container"]).exists()


def test_status_page_groups_become_components_with_their_monitors(kuma_db):
    run(kuma_db)

    services, infrastructure = (
        ComponentGroup.objects.get(name="Services"),
        ComponentGroup.objects.get(name="Infrastructure"),
    )
    assert services.position < infrastructure.position
    website = Component.objects.get(name="Website")
    assert (website.group, website.public, website.description) == (services, True, "The public site")
    assert Component.objects.get(name="Login page").group == services
    assert Component.objects.get(name="Database").group == infrastructure
    for name in ["Website", "Login page", "Database"]:
        assert Monitor.objects.get(name=name).component == Component.objects.get(name=name)
    assert Monitor.objects.get(name="Mail DNS").component is None  # on no status page


def test_the_audit_log_records_every_object_through_the_import_door(kuma_db):
    run(kuma_db)

    entries = AuditEntry.objects.filter(via="import")
    assert entries.filter(action="monitor.create").count() == 5
    assert entries.filter(action="monitor.pause").count() == 1
    assert entries.filter(action="component.create").count() == 3
    assert entries.filter(action="component_group.create").count() == 2
    assert AuditEntry.objects.exclude(via="import").count() == 0
    website = Monitor.objects.get(name="Website")
    assert entries.filter(action="monitor.create", target_id=str(website.pk), actor_label="import").exists()


def test_a_second_run_creates_nothing_new(kuma_db):
    first = run(kuma_db)
    before = counts()

    second = run(kuma_db)

    assert counts() == before
    assert "Created 10, skipped 0 imported before, 0 errors." in first
    assert "Created 0, skipped 10 imported before, 0 errors." in second
    assert "Will create (0):" in run(kuma_db, "--dry-run")


def test_a_second_instance_is_remembered_apart(kuma_db, tmp_path):
    run(kuma_db)
    other = build_kuma_db(tmp_path / "other.db")
    out = io.StringIO()
    call_command("import_from", "uptime-kuma", "--db", str(other), "--instance", "eu", stdout=out)

    assert Monitor.objects.filter(name="Website").count() == 2  # a second server's own monitors
    assert Component.objects.filter(name="Website").count() == 1  # names are unique: joined, not duplicated
    assert "joins the Vigil component" in run(other, "--dry-run", "--instance", "asia")


def test_a_bad_row_is_listed_as_an_error_and_the_rest_is_imported(tmp_path):
    db = build_kuma_db(tmp_path / "kuma.db", [dict(id=9, name="Broken", type="http", url="not a url")])

    dry = io.StringIO()
    with pytest.raises(CommandError, match="1 objects would fail"):
        call_command("import_from", "uptime-kuma", "--db", str(db), "--dry-run", stdout=dry)
    assert 'Will fail (1):\n  monitor "Broken" (Kuma #9, http): target: Must start with http:// or https://.' in (
        dry.getvalue()
    )
    assert counts() == (0, 0, 0, 0, 0)

    out = io.StringIO()
    with pytest.raises(CommandError, match="1 objects were not imported"):
        call_command("import_from", "uptime-kuma", "--db", str(db), stdout=out)
    assert 'Errors (not imported):\n  monitor "Broken" (Kuma #9, http): target:' in out.getvalue()
    assert Monitor.objects.count() == 5
    assert not Monitor.objects.filter(name="Broken").exists()


def test_an_object_that_fails_while_created_leaves_nothing_behind(kuma_db, monkeypatch):
    """One transaction per object: the monitor and its pause roll back together, the rest is imported."""
    from monitoring import services

    def refuse(actor, monitor):
        raise services.ActionError("no pausing today")

    monkeypatch.setattr("importers.uptime_kuma.importer.do_pause", refuse)
    with pytest.raises(CommandError, match="1 objects were not imported"):
        run(kuma_db)

    assert not Monitor.objects.filter(name="Login page").exists()
    assert not ImportedObject.objects.filter(kind="monitor", source_id="2").exists()
    assert Monitor.objects.count() == 4
    monkeypatch.undo()
    assert "Created 1, skipped 9" in run(kuma_db)  # the next run picks it up
    assert Monitor.objects.get(name="Login page").state == Monitor.State.PAUSED


def test_the_kuma_database_is_only_read(kuma_db):
    before = hashlib.sha256(kuma_db.read_bytes()).hexdigest()
    run(kuma_db)
    assert hashlib.sha256(kuma_db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in kuma_db.parent.iterdir()) == ["kuma.db"]  # no journal either


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"nothere\.db: no such file"):
        run(tmp_path / "nothere.db")


def test_a_corrupt_file_is_a_clear_error(tmp_path):
    corrupt = tmp_path / "kuma.db"
    corrupt.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CommandError, match="cannot be read as an SQLite database"):
        run(corrupt)


def test_another_sqlite_database_is_a_clear_error(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE things (id INTEGER)").connection.commit()
    with pytest.raises(CommandError, match="is not an Uptime Kuma database: it has no monitor table"):
        run(other)
    assert counts() == (0, 0, 0, 0, 0)


def test_an_unknown_source_is_refused_with_the_available_ones():
    with pytest.raises(CommandError, match=r"invalid choice: 'nagios'") as refused:
        call_command("import_from", "nagios", stdout=io.StringIO())
    # argparse lists the choices (quoted or not, by Python version): every source written is named.
    assert all(name in str(refused.value) for name in IMPORTERS)
