"""The reports page and API on a big history, against the same figures computed naively in Python.

    .venv/bin/python bench/reports.py [--quick]

It makes a PostgreSQL database (vigil_bench_reports, dropped and made again), migrates it and fills
it in two steps, measuring after each:

- small: 100 incidents, 8 monitors with their rollups, a few alerts, state changes, action items;
- large: 100,000 incidents (10,000 with --quick) over the last year, each on a component, and
  1,000,000 rollup rows (100,000 with --quick): per monitor, 90 daily rows and hourly rows for
  the rest, written by generate_series; with state changes, alerts and action items to match.

For each step it counts the queries of the report (postmortems.reports.build) and of a request to
the page and to the API (Django's test client, in this process): the count must not grow with the
data. On the large step it also times, side by side in this process:

- report: postmortems.reports.build() for the last 365 days, every figure aggregated by the database;
- baseline (naive): the same figures from every row fetched into Python: the incidents of the
  period with their components, the rollups, state changes, alerts and action items, summed and
  averaged in loops. Its figures are checked against the report's, so the baseline is also a
  second opinion on the numbers.

Then gunicorn (2 sync workers, bench/wsgi_bench.py: Vigil as in production, DEBUG off, Redis)
serves the page (/postmortems/reports/?days=365, signed in) and the API (/api/v1/reports/?days=365,
with an API key), each requested one at a time; their median is page_ms and api_ms.
The last line printed is JSON: page_ms, api_ms, queries_small, queries_large, report_ms,
baseline_ms, ratio (baseline / report) and more.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.alerts import (  # noqa: E402
    drop_database,
    free_port,
    recreate_database,
    server_environment,
    start_gunicorn,
    wait_until_serving,
)

GOAL_MS = 500.0
QUERY = {"days": "365"}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute (a tenth of the data)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default="vigil_bench_reports")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/10", help="Redis URL; empty: no Redis")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (sync)")
    parser.add_argument("--repeat", type=int, help="timed runs of each figure")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    args.incidents = 10_000 if args.quick else 100_000
    args.rollups = 100_000 if args.quick else 1_000_000
    args.monitors = 40 if args.quick else 400
    args.repeat = args.repeat or (3 if args.quick else 7)
    return args


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigil.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # DEBUG is off: the page's CSS is looked up in the manifest, as in production (the Dockerfile does this).
    call_command("collectstatic", interactive=False, verbosity=0)


# --- Data ------------------------------------------------------------------------------------------


class Seeder:
    """Adds history in steps; each step's rows are deterministic, so runs compare."""

    def __init__(self):
        from django.utils import timezone

        from incidents.models import Component, Integration

        self.now = timezone.now()
        self.components = [Component.objects.create(name=f"Component {n:02d}", slo="99.900") for n in range(20)]
        self.integration = Integration.objects.create(name="Alertmanager", kind="alertmanager")
        self.incidents = self.monitors = self.alerts = self.items = 0

    def add(self, incidents: int, monitors: int, rollups: int) -> None:
        self._incidents(incidents)
        new_monitors = self._monitors(monitors)
        self._rollups(new_monitors, rollups)
        self._state_changes(new_monitors)
        self._alerts(max(20, incidents // 20))
        self._action_items(max(10, incidents // 50))

    def _incidents(self, count: int) -> None:
        from incidents.models import Incident, IncidentComponent

        severities, sources = ["sev1", "sev2", "sev3", "sev4"], ["manual", "monitor", "alert", "reputation"]
        year = 365 * 24 * 3600
        batch = []
        for n in range(self.incidents, self.incidents + count):
            started = self.now - timedelta(seconds=(n * 7919) % year + 60)
            open_ = n % 10 == 0
            batch.append(
                Incident(
                    title=f"Incident {n}",
                    severity=severities[n % 4],
                    source=sources[(n // 4) % 4],
                    status="acknowledged" if open_ else "resolved",
                    started_at=started,
                    acknowledged_at=started + timedelta(seconds=30 + n % 900) if n % 7 else None,
                    resolved_at=None if open_ else started + timedelta(seconds=600 + (n * 13) % 7200),
                )
            )
            if len(batch) == 5000:
                self._save_incidents(batch, Incident, IncidentComponent)
                batch = []
        if batch:
            self._save_incidents(batch, Incident, IncidentComponent)
        self.incidents += count

    def _save_incidents(self, batch, Incident, IncidentComponent) -> None:
        created = Incident.objects.bulk_create(batch)
        IncidentComponent.objects.bulk_create(
            IncidentComponent(incident=incident, component=self.components[incident.pk % len(self.components)])
            for incident in created
        )

    def _monitors(self, count: int) -> list[int]:
        from monitoring.models import Monitor

        made = Monitor.objects.bulk_create(
            Monitor(
                name=f"check {n}",
                target=f"https://{n}.example/",
                component=self.components[n % len(self.components)],
                created_at=self.now - timedelta(days=400),
            )
            for n in range(self.monitors, self.monitors + count)
        )
        self.monitors += count
        return [monitor.pk for monitor in made]

    def _rollups(self, monitor_ids: list[int], rows: int) -> None:
        """90 daily rows and (rows / monitors - 90) hourly rows per monitor, by generate_series."""
        from django.db import connection

        from monitoring.uptime import floor_day, floor_hour

        hours = rows // len(monitor_ids) - 90
        columns = (
            "monitor_id, period, start, checks, failures, degraded, monitored_seconds, downtime_seconds, "
            "latency_histogram"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO monitoring_rollup ({columns}) "
                "SELECT m, 'day', %s - d * interval '1 day', 1440, 0, 0, 86400, "
                "CASE WHEN (m * 7 + d) %% 23 = 0 THEN 300 * (1 + m %% 4) ELSE 0 END, '{}'::jsonb "
                "FROM unnest(%s::bigint[]) m, generate_series(0, 89) d",
                [floor_day(self.now), monitor_ids],
            )
            cursor.execute(
                f"INSERT INTO monitoring_rollup ({columns}) "
                "SELECT m, 'hour', %s - h * interval '1 hour', 60, 0, 0, 3600, "
                "CASE WHEN (m * 7 + h) %% 97 = 0 THEN 120 ELSE 0 END, '{}'::jsonb "
                "FROM unnest(%s::bigint[]) m, generate_series(1, %s) h",
                [floor_hour(self.now), monitor_ids, hours],
            )

    def _state_changes(self, monitor_ids: list[int]) -> None:
        from monitoring.models import StateChange

        changes = []
        for m in monitor_ids:
            for n in range(1 + m % 30):
                down_at = self.now - timedelta(hours=(m * 31 + n * 211) % 8700 + 2)
                changes.append(StateChange(monitor_id=m, at=down_at, from_state="up", to_state="down"))
                changes.append(
                    StateChange(monitor_id=m, at=down_at + timedelta(minutes=5), from_state="down", to_state="up")
                )
        StateChange.objects.bulk_create(changes, batch_size=5000)

    def _alerts(self, count: int) -> None:
        from incidents.models import Alert

        Alert.objects.bulk_create(
            (
                Alert(
                    integration=self.integration,
                    fingerprint=f"fp{n % 300}",
                    title=f"Alert rule {n % 300}",
                    status="resolved",
                    starts_at=self.now - timedelta(hours=n % 8700 + 1),
                    received_count=1 + n % 50,
                )
                for n in range(self.alerts, self.alerts + count)
            ),
            batch_size=5000,
        )
        self.alerts += count

    def _action_items(self, count: int) -> None:
        from postmortems.models import ActionItem

        today = self.now.date()
        items = []
        for n in range(self.items, self.items + count):
            due = today - timedelta(days=n % 400 - 30)
            done = n % 3 == 0
            items.append(
                ActionItem(
                    title=f"Item {n}",
                    due_date=due,
                    status="done" if done else "open",
                    completed_at=self.now - timedelta(days=n % 400 - 30 + (n % 5) - 2) if done else None,
                )
            )
        ActionItem.objects.bulk_create(items, batch_size=5000)
        self.items += count


# --- The naive baseline ----------------------------------------------------------------------------


def naive_report(period, now) -> dict:
    """The main figures from every row, in Python: what the report would cost without aggregation."""
    from collections import Counter, defaultdict

    from django.utils import timezone

    from incidents.models import Component, Incident
    from monitoring.models import Rollup
    from monitoring.uptime import floor_day

    incidents = list(
        Incident.objects.filter(started_at__gte=period.start, started_at__lt=period.end, merged_into__isnull=True)
        .prefetch_related("components")
        .order_by()
    )
    to_ack = [(i.acknowledged_at - i.started_at).total_seconds() for i in incidents if i.acknowledged_at]
    to_resolve = [(i.resolved_at - i.started_at).total_seconds() for i in incidents if i.resolved_at]
    by_month = defaultdict(list)
    for incident in incidents:
        by_month[f"{timezone.localtime(incident.started_at):%Y-%m}"].append(incident)
    components = Counter(c.name for i in incidents for c in i.components.all())
    today = floor_day(now)
    seconds = defaultdict(lambda: [0.0, 0.0])
    names = dict(Component.objects.values_list("id", "name"))
    for rollup in Rollup.objects.filter(
        period="day", start__gte=today - timedelta(days=30), start__lt=today
    ).select_related("monitor"):
        if rollup.monitor.component_id:
            seconds[names[rollup.monitor.component_id]][0] += rollup.monitored_seconds
            seconds[names[rollup.monitor.component_id]][1] += rollup.downtime_seconds
    return {
        "incidents": len(incidents),
        "mtta_minutes": round(sum(to_ack) / len(to_ack) / 60, 2) if to_ack else None,
        "mttr_minutes": round(sum(to_resolve) / len(to_resolve) / 60, 2) if to_resolve else None,
        "severity": dict(Counter(i.get_severity_display() for i in incidents)),
        "sources": dict(Counter(i.get_source_display() for i in incidents)),
        "months": {month: len(rows) for month, rows in by_month.items()},
        "components": dict(components),
        "uptime_30d": {name: round((1 - down / monitored) * 100, 3) for name, (monitored, down) in seconds.items()},
    }


def agrees(report, naive: dict) -> list[str]:
    """Where the report and the naive figures differ (empty: they agree)."""
    summary = report["summary"].rows[0]
    mine = {
        "incidents": summary["incidents"],
        "mtta_minutes": summary["mtta_minutes"],
        "mttr_minutes": summary["mttr_minutes"],
        "severity": {r["severity"]: r["incidents"] for r in report["severity"].rows if r["incidents"]},
        "sources": {r["source"]: r["incidents"] for r in report["sources"].rows if r["incidents"]},
        "months": {r["month"]: r["incidents"] for r in report["monthly"].rows if r["incidents"]},
        "components": {r["component"]: r["incidents"] for r in report["components"].rows},
        "uptime_30d": {r["component"]: r["uptime_30d_pct"] for r in report["uptime"].rows if r["uptime_30d_pct"]},
    }
    problems = []
    for key, value in naive.items():
        if key in ("mtta_minutes", "mttr_minutes"):
            same = value is not None and mine[key] is not None and abs(value - mine[key]) <= 0.011
        else:
            same = mine[key] == value
        if not same:
            problems.append(f"{key}: report {mine[key]!r}, naive {value!r}")
    return problems


# --- Measuring -------------------------------------------------------------------------------------


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def count_queries(client, api_client) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from postmortems.reports import Period, build

    counts = {}
    client.get("/postmortems/reports/", QUERY)  # once first: the session's and the API key's first use write
    api_client.get("/api/v1/reports/", QUERY)
    with CaptureQueriesContext(connection) as captured:
        build(Period.from_query(QUERY))
    counts["report"] = len(captured.captured_queries)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/postmortems/reports/", QUERY).status_code == 200
    counts["page"] = len(captured.captured_queries)
    with CaptureQueriesContext(connection) as captured:
        assert api_client.get("/api/v1/reports/", QUERY).status_code == 200
    counts["api"] = len(captured.captured_queries)
    return counts


def clients():
    """A signed-in admin for the page (session cookie) and an API key for the API."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from vigil.audit import Actor
    from vigil.roles import Role, assign_role
    from vigil.services import do_create_api_key

    user = get_user_model().objects.create_user("bench-reader", password="unused-password-123")
    assign_role(user, Role.VIEWER)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    _, key = do_create_api_key(Actor(user=user, via="cli"), user, "bench")
    api_client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
    return client, api_client, client.cookies["sessionid"].value, key


def http_ms(port: int, path: str, headers: dict, repeat: int) -> float:
    def get():
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200, (path, response.status)
            return len(response.read())

    get()  # warm: each worker's first request loads templates and opens its connection
    get()
    return timed(get, repeat)[0]


def main() -> int:
    args = parse_args()
    t0 = time.monotonic()
    database_url = recreate_database(args.postgres, args.database)
    port = free_port()
    var_dir = Path(tempfile.mkdtemp(prefix="vigil-bench-reports-"))
    env = server_environment(database_url, args.redis, port, str(var_dir))
    setup_django(env)
    from django.db import connection, connections

    from postmortems.reports import Period, build

    seeder = Seeder()
    seeder.add(incidents=100, monitors=8, rollups=8 * 197)  # 197: the full run then makes exactly 1,000,000
    client, api_client, session, key = clients()
    small = count_queries(client, api_client)
    small_ms, _ = timed(lambda: build(Period.from_query(QUERY)), args.repeat)
    seeder.add(incidents=args.incidents - 100, monitors=args.monitors - 8, rollups=args.rollups - 8 * 197)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM incidents_incident")
        incident_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM monitoring_rollup")
        rollup_rows = cursor.fetchone()[0]
    print(f"data: {incident_rows} incidents, {rollup_rows} rollups; setup {time.monotonic() - t0:.1f} s", flush=True)
    large = count_queries(client, api_client)
    period = Period.from_query(QUERY)
    report_ms, report = timed(lambda: build(period), args.repeat)
    baseline_ms, naive = timed(lambda: naive_report(period, report.generated_at), max(1, args.repeat // 3))
    problems = agrees(report, naive)
    print(f"in process: report {report_ms:.1f} ms, naive baseline {baseline_ms:.1f} ms", flush=True)
    print("figures: report and baseline agree" if not problems else "figures DIFFER: " + "; ".join(problems))
    connections.close_all()
    log_path = var_dir / "gunicorn.log"
    server = start_gunicorn(port, args.workers, 1, env, log_path)
    try:
        wait_until_serving(port, server, log_path)
        page_ms = http_ms(port, "/postmortems/reports/?days=365", {"Cookie": f"sessionid={session}"}, args.repeat)
        api_ms = http_ms(port, "/api/v1/reports/?days=365", {"Authorization": f"Bearer {key}"}, args.repeat)
    finally:
        server.terminate()
        server.wait(timeout=10)
    met = page_ms < GOAL_MS and api_ms < GOAL_MS and small == large and not problems
    print(
        f"page {page_ms:.1f} ms, API {api_ms:.1f} ms (gunicorn, {args.workers} workers); queries small {small}, "
        f"large {large}; goal (< {GOAL_MS:g} ms, queries independent of data, figures agree): "
        f"{'met' if met else 'NOT met'}"
    )
    result = {
        "bench": "reports",
        "page_ms": round(page_ms, 1),
        "api_ms": round(api_ms, 1),
        "queries_small": small["page"],
        "queries_large": large["page"],
        "api_queries_small": small["api"],
        "api_queries_large": large["api"],
        "report_queries_small": small["report"],
        "report_queries_large": large["report"],
        "report_ms": round(report_ms, 1),
        "report_small_ms": round(small_ms, 1),
        "baseline": "naive Python over all rows",
        "baseline_ms": round(baseline_ms, 1),
        "ratio": round(baseline_ms / report_ms, 2) if report_ms else None,
        "figures_agree": not problems,
        "incidents": incident_rows,
        "rollups": rollup_rows,
        "period_days": 365,
        "workers": args.workers,
        "quick": args.quick,
        "goal_met": met,
    }
    if not args.keep_db:
        connections.close_all()
        drop_database(args.postgres, args.database)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
