"""Numbers that can be trusted: a known history, every figure of the report worked out by hand."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Alert, Component, Incident, IncidentComponent, Integration
from monitoring.models import Monitor, Rollup, StateChange
from postmortems.models import ActionItem
from postmortems.reports import Period, build, figures
from tests.conftest import need

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
MARCH_TO_MAY = Period.between(date(2026, 3, 1), date(2026, 5, 31))
DURATION_FIELDS = ["incidents", "acknowledged", "resolved", "mtta_minutes", "mttr_minutes"]


def at(month, day, hour=0, minute=0, second=0):
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc():
    with timezone.override("UTC"):
        yield


@pytest.fixture
def history(db):
    api = Component.objects.create(name="api")  # SLO 99.9 by default
    db_ = Component.objects.create(name="db", slo=Decimal("99.500"))
    Component.objects.create(name="web", slo=Decimal("99.990"))
    monitors = {
        "api-http": Monitor.objects.create(name="api-http", target="https://api.example.com/", component=api),
        "db-tcp": Monitor.objects.create(name="db-tcp", target="https://db.example.com/", component=db_),
        "db-replica": Monitor.objects.create(name="db-replica", target="https://r.example.com/", component=db_),
    }
    _incidents(api, db_, monitors["api-http"])
    _state_changes(monitors)
    _alerts()
    _action_items()
    _rollups(monitors)
    return monitors


def incident(severity, source, started_at, ack=None, resolved=None, components=(), **fields):
    fields.setdefault("title", f"{severity} at {started_at}")
    row = Incident.objects.create(
        severity=severity,
        source=source,
        started_at=started_at,
        acknowledged_at=started_at + ack if ack else None,
        resolved_at=started_at + resolved if resolved else None,
        status="resolved" if resolved else "acknowledged",
        **fields,
    )
    for component in components:
        IncidentComponent.objects.create(incident=row, component=component)
    return row


def _incidents(api, db_, api_monitor):
    minutes = lambda n: timedelta(minutes=n)  # noqa: E731
    key = f"monitor:{api_monitor.pk}"
    incident("sev1", "monitor", at(3, 10, 10), minutes(7.5), minutes(60), [api], dedup_key=key)  # A
    b = incident("sev1", "alert", at(3, 20), minutes(15), minutes(120), [api, db_])  # B
    incident("sev2", "manual", at(4, 2, 8), None, minutes(30), [db_])  # C: never acknowledged
    incident("sev3", "monitor", at(5, 31, 23, 30), minutes(10), None, dedup_key=key)  # D: still open
    incident("sev2", "manual", at(3, 20, 0, 1), minutes(1), minutes(2), [api], merged_into=b)  # a duplicate
    incident("sev1", "manual", at(2, 28, 23, 59), minutes(1), minutes(2), [api])  # before the period
    incident("sev4", "manual", at(6, 1), minutes(1), minutes(2), [api])  # the period's end is excluded


def _state_changes(monitors):
    api, db_ = monitors["api-http"], monitors["db-tcp"]
    for moment in [at(2, 1), at(3, 10, 10), at(3, 12), at(5, 31, 23)]:  # the first is before the period
        StateChange.objects.create(monitor=api, at=moment, from_state="up", to_state="down")
    StateChange.objects.create(monitor=db_, at=at(4, 2, 8), from_state="up", to_state="down")
    StateChange.objects.create(monitor=db_, at=at(4, 2, 9), from_state="down", to_state="up")
    # Paused since NOW's midnight (after the period): uptime reads the rollups and the live hours since
    # (monitoring.uptime), and these add nothing, so the figures below are the rollups' alone.
    StateChange.objects.create(monitor=api, at=at(6, 15), from_state="down", to_state="paused")
    StateChange.objects.create(monitor=db_, at=at(6, 15), from_state="up", to_state="paused")


def _alerts():
    prom = Integration.objects.create(name="prom", kind="alertmanager")
    Alert.objects.create(
        integration=prom, fingerprint="f1", title="Disk full", status="resolved", starts_at=at(3, 2), received_count=5
    )
    Alert.objects.create(integration=prom, fingerprint="f1", title="Disk full", starts_at=at(4, 2), received_count=3)
    Alert.objects.create(integration=prom, fingerprint="f2", title="CPU high", starts_at=at(5, 5), received_count=10)
    Alert.objects.create(
        integration=prom, fingerprint="f3", title="Old", status="resolved", starts_at=at(2, 5), received_count=99
    )


def _action_items():
    item = ActionItem.objects.create
    item(title="on time", status="done", due_date=date(2026, 3, 15), completed_at=at(3, 15, 23))
    item(title="late", status="done", due_date=date(2026, 3, 15), completed_at=at(3, 16, 0, 30))
    item(title="overdue", status="open", due_date=date(2026, 4, 1))
    item(title="overdue too", status="in_progress", due_date=date(2026, 5, 31))
    item(title="dropped", status="wont_do", due_date=date(2026, 4, 10))
    item(title="due later", status="open", due_date=date(2026, 6, 20))  # after the period
    item(title="undated", status="open")


def _rollups(monitors):
    api, db_, replica = monitors["api-http"], monitors["db-tcp"], monitors["db-replica"]

    def day(monitor, start, monitored, down, period="day"):
        Rollup.objects.create(
            monitor=monitor, period=period, start=start, monitored_seconds=monitored, downtime_seconds=down
        )

    day(api, at(6, 10), 86400, 60)  # in the 30 days (16 May - 14 Jun)
    day(api, at(6, 10, 5), 3600, 3600, period="hour")  # hourly rows are not read: the days hold them
    day(api, at(5, 1), 86400, 600)  # in the 90 days (17 Mar - 14 Jun) only
    day(api, at(6, 15), 86400, 86400)  # today: not a whole day yet
    day(api, at(3, 1), 86400, 8640)  # before the 90 days
    day(db_, at(6, 1), 86400, 864)
    day(replica, at(6, 1), 43200, 0)


def rows(table):
    return {next(iter(row.values())): row for row in table.rows}


def test_summary_counts_and_averages_the_period_s_incidents(history):
    assert build(MARCH_TO_MAY, NOW)["summary"].rows == [
        # MTTA (7.5 + 15 + 10) / 3; MTTR (60 + 120 + 30) / 3
        {"incidents": 4, "acknowledged": 3, "resolved": 3, "mtta_minutes": 10.83, "mttr_minutes": 70.0}
    ]


def test_mtta_and_mttr_per_month_include_months_without_figures(history):
    table = build(MARCH_TO_MAY, NOW)["monthly"]
    assert [name for name, _ in table.columns] == ["month", *DURATION_FIELDS]
    assert table.cells() == [
        # month, incidents, acknowledged, resolved, MTTA, MTTR
        ["2026-03", 2, 2, 2, 11.25, 90.0],  # A and B: (7.5 + 15) / 2, (60 + 120) / 2
        ["2026-04", 1, 0, 1, None, 30.0],  # C
        ["2026-05", 1, 1, 0, 10.0, None],  # D
    ]


def test_months_follow_the_viewer_s_time_zone(history):
    # D started 31 May 23:30 UTC: 1 June in Berlin, so May has no incident there.
    with timezone.override("Europe/Berlin"):
        months = rows(build(Period.between(date(2026, 5, 1), date(2026, 6, 30)), NOW)["monthly"])
    assert months["2026-05"]["incidents"] == 0
    assert months["2026-06"]["incidents"] == 2  # D, and the incident of 1 June 00:00 UTC


def test_incidents_by_severity_source_and_component(history):
    report = build(MARCH_TO_MAY, NOW)
    assert [name for name, _ in report["severity"].columns] == ["severity", *DURATION_FIELDS]
    assert report["severity"].cells() == [
        ["SEV1", 2, 2, 2, 11.25, 90.0],
        ["SEV2", 1, 0, 1, None, 30.0],
        ["SEV3", 1, 1, 0, 10.0, None],
        ["SEV4", 0, 0, 0, None, None],
    ]
    assert report["sources"].rows == [
        {"source": "Manual", "incidents": 1},
        {"source": "Monitor", "incidents": 2},
        {"source": "Alert", "incidents": 1},
        {"source": "Reputation", "incidents": 0},
    ]
    assert report["components"].rows == [{"component": "api", "incidents": 2}, {"component": "db", "incidents": 2}]


def test_noisiest_monitors_and_alerts(history):
    report = build(MARCH_TO_MAY, NOW)
    assert report["monitors"].rows == [
        {"monitor": "api-http", "downs": 3, "incidents": 2},
        {"monitor": "db-tcp", "downs": 1, "incidents": 0},
    ]
    assert report["alerts"].rows == [
        {"alert": "CPU high", "integration": "prom", "firings": 1, "received": 10},
        {"alert": "Disk full", "integration": "prom", "firings": 2, "received": 8},
    ]


def test_action_items_due_in_the_period_by_outcome(history):
    expected = {"Completed on time": 1, "Completed late": 1, "Overdue": 2, "Open, not yet due": 0, "Won't do": 1}
    assert {row["outcome"]: row["items"] for row in build(MARCH_TO_MAY, NOW)["action_items"].rows} == expected
    early = figures.action_items(MARCH_TO_MAY, today=date(2026, 4, 5))  # the May item was not yet due
    assert {row["outcome"]: row["items"] for row in early.rows}["Overdue"] == 1
    assert {row["outcome"]: row["items"] for row in early.rows}["Open, not yet due"] == 1


def test_uptime_and_error_budget_per_component(history):
    table = rows(build(MARCH_TO_MAY, NOW)["uptime"])
    # api, 30 days: one day monitored, 60 s down. Budget 0.1% of 1,440 min = 1.44 min; 1 min used.
    # 90 days: two days, 660 s down: 11 min of a 2.88 min budget.
    assert table["api"] == {
        "component": "api",
        "slo_pct": 99.9,
        "uptime_30d_pct": 99.931,  # 1 - 60 / 86,400
        "downtime_30d_minutes": 1.0,
        "budget_30d_minutes": 1.44,
        "budget_left_30d_minutes": 0.44,
        "budget_left_30d_pct": 30.56,  # 0.44 / 1.44
        "uptime_90d_pct": 99.618,  # 1 - 660 / 172,800
        "downtime_90d_minutes": 11.0,
        "budget_90d_minutes": 2.88,
        "budget_left_90d_minutes": -8.12,
        "budget_left_90d_pct": -281.94,
    }
    # db: two monitors, 129,600 s monitored and 864 s down between them; minutes per monitor.
    db_30 = {key: value for key, value in table["db"].items() if "30d" in key}
    assert db_30 == {
        "uptime_30d_pct": 99.333,  # 1 - 864 / 129,600
        "downtime_30d_minutes": 7.2,  # 864 / 2 / 60
        "budget_30d_minutes": 5.4,  # 0.5% of 129,600 / 2 / 60
        "budget_left_30d_minutes": -1.8,
        "budget_left_30d_pct": -33.33,
    }
    assert table["db"]["uptime_90d_pct"] == 99.333
    assert table["web"]["uptime_30d_pct"] is None  # no monitor: no data, not 100%
    assert table["web"]["budget_left_90d_pct"] is None


def test_an_slo_of_100_leaves_no_budget_to_share(history):
    Component.objects.filter(name="api").update(slo=Decimal("100"))
    api = rows(build(MARCH_TO_MAY, NOW)["uptime"])["api"]
    assert api["budget_30d_minutes"] == 0.0
    assert api["budget_left_30d_minutes"] == -1.0
    assert api["budget_left_30d_pct"] is None


def test_the_report_costs_the_same_queries_for_little_and_much_data(history):
    with CaptureQueriesContext(connection) as small:
        build(MARCH_TO_MAY, NOW)
    for n in range(30):
        incident("sev2", "manual", at(4, 1 + n % 28, 3), timedelta(minutes=n + 1), timedelta(hours=1))
        ActionItem.objects.create(title=f"item {n}", status="open", due_date=date(2026, 4, 1 + n % 28))
    with CaptureQueriesContext(connection) as large:
        report = build(MARCH_TO_MAY, NOW)
    assert report["summary"].rows[0]["incidents"] == 34
    # Was 8: the uptime table now reads monitoring.uptime's one function (the components, their monitors
    # and its five queries) instead of one sum of daily rollups. Still the same for little and much data.
    assert len(figure_queries(small)) == len(figure_queries(large)) == 13


def figure_queries(captured: CaptureQueriesContext) -> list[str]:
    """The queries that read figures: on PostgreSQL the report also sets its work_mem, in a transaction."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "SET LOCAL work_mem"))
    ]


def test_csv_has_a_header_row_and_neutralises_formulas(history):
    Component.objects.filter(name="web").update(name="=HYPERLINK(1)")
    text = build(MARCH_TO_MAY, NOW, only=["uptime"])["uptime"].as_csv()
    lines = text.splitlines()
    assert lines[0].startswith("component,slo_pct,uptime_30d_pct")
    assert lines[1].startswith("'=HYPERLINK(1),99.99,,")
    assert lines[2] == "api,99.9,99.931,1.0,1.44,0.44,30.56,99.618,11.0,2.88,-8.12,-281.94"


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_report_queries_get_the_memory_of_a_large_year_and_no_other_query_does():
    from postmortems.reports import REPORT_WORK_MEM

    if connection.vendor != "postgresql":
        need("PostgreSQL", False, "work_mem is PostgreSQL's (set DATABASE_URL)")
    with CaptureQueriesContext(connection) as queries:
        build(Period.last(30))
    assert f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'" in [query["sql"] for query in queries.captured_queries[:2]]
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] != REPORT_WORK_MEM  # SET LOCAL ended with the report's transaction
