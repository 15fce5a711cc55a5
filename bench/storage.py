"""Storage: bytes per monitor-day on PostgreSQL, raw results and rollups, and the time to roll and purge.

    .venv/bin/python bench/storage.py [--quick] [--monitors 1000] [--interval 60]

It makes a PostgreSQL database (vigil_bench_storage, dropped and made again), migrates it, creates
N monitors and loads one UTC day of raw results for each, one every INTERVAL seconds (COPY, as
record_observations would have written them: mostly up with a status code and a latency, 1% down
with a reason), plus a few state changes. After VACUUM ANALYZE it reads the size of the
monitoring_checkresult table with its indexes (pg_total_relation_size), rolls the day up with
Vigil's own code (24 hourly rollups and one daily rollup per monitor, timed), and reads the size of
monitoring_rollup the same way. Then it purges the day as if a week had passed (timed).

A freshly loaded table is packed tight; in steady state, deletes by the hourly purge leave free
space that new rows reuse after autovacuum, so the live size runs somewhat above this.
The baseline, side by side: the same results kept raw for a year with no rollups and no purge
(what a tool that never rolls up pays); the ratio is its size over Vigil's (7 days of raw
results plus a year of rollups). The last line printed is JSON.
"""

import argparse
import io
import json
import math
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.alerts import drop_database, recreate_database  # noqa: E402

DAY = datetime(2025, 3, 4, tzinfo=UTC)
REASONS = ["connection refused", "timed out after 10.0 s", "HTTP 503: expected 200-299", "keyword missing"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute (200 monitors)")
    parser.add_argument("--monitors", type=int, default=None, help="default 1000, quick 200")
    parser.add_argument("--interval", type=int, default=60, help="seconds between checks")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default="vigil_bench_storage")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def setup_django(database_url: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        DEBUG="1",
        VIGIL_VAR_DIR=tempfile.mkdtemp(prefix="vigil-bench-storage-"),
        DJANGO_SETTINGS_MODULE="vigil.settings",
        LOG_LEVEL="WARNING",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def create_monitors(count: int) -> list[int]:
    from monitoring.models import Monitor, StateChange

    created = DAY - timedelta(days=1)
    monitors = Monitor.objects.bulk_create(
        Monitor(name=f"m{n}", target=f"http://10.0.{n // 250}.{n % 250}/", created_at=created, state="up")
        for n in range(count)
    )
    StateChange.objects.bulk_create(
        StateChange(monitor=m, at=created, from_state="pending", to_state="up") for m in monitors
    )
    # A tenth of the monitors have one 10-minute outage in the day.
    StateChange.objects.bulk_create(
        change
        for m in monitors[::10]
        for change in (
            StateChange(monitor=m, at=DAY + timedelta(hours=13), from_state="up", to_state="down", reason=REASONS[0]),
            StateChange(monitor=m, at=DAY + timedelta(hours=13, minutes=10), from_state="down", to_state="up"),
        )
    )
    return [m.pk for m in monitors]


def load_results(monitor_ids: list[int], interval: int) -> int:
    """COPY one day of results for each monitor into monitoring_checkresult, in time order as they arrive."""
    rng = random.Random(42)
    offsets = {m: rng.uniform(0, interval) for m in monitor_ids}
    base_ms = {m: rng.lognormvariate(math.log(80), 0.8) for m in monitor_ids}
    rows = 0
    buffer = io.StringIO()
    for n in range(86400 // interval):
        for monitor_id in monitor_ids:
            at = DAY + timedelta(seconds=offsets[monitor_id] + n * interval)
            if rng.random() < 0.01:
                buffer.write(f"{monitor_id}\t{at.isoformat()}\t2\t\\N\t\\N\t{rng.choice(REASONS)}\n")
            else:
                latency = round(base_ms[monitor_id] * rng.lognormvariate(0, 0.25), 3)
                buffer.write(f"{monitor_id}\t{at.isoformat()}\t0\t{latency}\t200\t\n")
            rows += 1
        if buffer.tell() > 8_000_000:
            _copy(buffer)
            buffer = io.StringIO()
    _copy(buffer)
    return rows


def _copy(buffer: io.StringIO) -> None:
    from django.db import connection

    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            "COPY monitoring_checkresult (monitor_id, checked_at, outcome, latency_ms, status_code, reason) FROM STDIN",
            buffer,
        )


def table_bytes(table: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            "SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_indexes_size(%s)", [table, table, table]
        )
        total, heap, indexes = cursor.fetchone()
    return {"total": total, "heap": heap, "indexes": indexes}


def roll_the_day() -> dict:
    from monitoring import rollups

    now = DAY + timedelta(days=1, minutes=5)
    hour_seconds = []
    for hour in range(24):
        started = time.perf_counter()
        rollups.roll_hour(DAY + timedelta(hours=hour), now)
        hour_seconds.append(time.perf_counter() - started)
    started = time.perf_counter()
    rollups.roll_day(DAY)
    return {"roll_hour_s_mean": sum(hour_seconds) / 24, "roll_hour_s_max": max(hour_seconds),
            "roll_day_s": time.perf_counter() - started}  # fmt: skip


def main():
    args = parse_args()
    if args.monitors is None:
        args.monitors = 200 if args.quick else 1000
    database_url = recreate_database(args.postgres, args.database)
    try:
        setup_django(database_url)
        from django.db import connection

        from monitoring import rollups
        from monitoring.models import Rollup

        monitor_ids = create_monitors(args.monitors)
        started = time.perf_counter()
        rows = load_results(monitor_ids, args.interval)
        load_s = time.perf_counter() - started
        results = table_bytes("monitoring_checkresult")
        timings = roll_the_day()
        rollup_rows = Rollup.objects.count()
        rollup_bytes = table_bytes("monitoring_rollup")
        started = time.perf_counter()
        purged = rollups.purge(DAY + timedelta(days=8, hours=1))
        purge_s = time.perf_counter() - started
        n = args.monitors
        report = {
            "bench": "storage",
            "monitors": n,
            "interval_s": args.interval,
            "results_per_monitor_day": rows / n,
            "result_bytes_per_monitor_day": round(results["total"] / n),
            "result_heap_bytes_per_row": round(results["heap"] / rows, 1),
            "result_index_bytes_per_row": round(results["indexes"] / rows, 1),
            "rollup_rows_per_monitor_day": rollup_rows / n,
            "rollup_bytes_per_monitor_day": round(rollup_bytes["total"] / n),
            "rollup_bytes_per_row": round(rollup_bytes["total"] / rollup_rows, 1),
            "retained_bytes_per_monitor_at_7_days": round(7 * results["total"] / n + 7 * rollup_bytes["total"] / n),
            "rollup_bytes_per_monitor_year": round(365 * rollup_bytes["total"] / n),
            "load_s": round(load_s, 2),
            **{key: round(value, 3) for key, value in timings.items()},
            "purged": purged,
            "purge_s": round(purge_s, 2),
        }
        # The baseline: every raw result kept (no rollups, no purge), as a year of checks.
        vigil_year = 7 * results["total"] / n + 365 * rollup_bytes["total"] / n
        baseline_year = 365 * results["total"] / n
        report["vigil_bytes_per_monitor_year"] = round(vigil_year)
        report["baseline_raw_kept_bytes_per_monitor_year"] = round(baseline_year)
        report["ratio_baseline_vs_vigil"] = round(baseline_year / vigil_year, 1)
        report["quick"] = args.quick
        mb = 1024 * 1024
        print(f"raw results: {report['result_bytes_per_monitor_day'] / 1024:.1f} KB per monitor-day; rollups: "
              f"{report['rollup_bytes_per_monitor_day'] / 1024:.1f} KB per monitor-day")  # fmt: skip
        print(f"a year of one monitor: Vigil (7 days raw + rollups) {vigil_year / mb:.1f} MB, "
              f"every raw result kept {baseline_year / mb:.1f} MB ({report['ratio_baseline_vs_vigil']}x)")  # fmt: skip
        connection.close()
    finally:
        if not args.keep_db:
            drop_database(args.postgres, args.database)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
