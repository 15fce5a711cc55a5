"""The paths bench/scaling.py grows, each run in its own process on a fresh database.

Each `run_<path>(args, sizes)` sets Django up the way the path's own bench does (by calling its
setup functions), then for each size, smallest first, adds data up to that size, measures one
pass of the path and returns one row per size:

    {"size": N, "units": work done, "seconds": wall time, "cpu_s": CPU of the process doing the
     work, "mem_growth_mb": its peak resident set during the pass minus its resident set before}

Memory is the kernel's own peak: the process's VmHWM is reset (writing 5 to /proc/PID/clear_refs)
before the pass and read after it, summed over the processes doing the work (the Celery worker and
its children for fan-out and probes; this process for the others, whose CPU figure adds that of its
PostgreSQL backend). Resident memory a pass needs shows up whether Python or a C library allocated
it; memory an earlier size left allocated is in the "before" figure, so the growth is what this
pass added on top.
"""

import contextlib
import os
import statistics
import time
from pathlib import Path

from bench._common import cpu_seconds, process_tree


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Pass:
    """Wall time, CPU and peak memory growth of the processes under ROOTS during a `with` block;
    CPU also of EXTRA_CPU's (the PostgreSQL backend serving this process, whose resident set would
    count the shared buffers it touches, so not its memory)."""

    def __init__(self, roots: list[int], extra_cpu: tuple[int, ...] = ()):
        self.roots = roots
        self.cpu_roots = [*roots, *extra_cpu]

    def pids(self) -> list[int]:
        return [pid for root in self.roots for pid in process_tree(root)]

    def __enter__(self):
        for pid in self.pids():
            with contextlib.suppress(OSError):  # gone meanwhile
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
        self.rss_kb = sum(_status_kb(pid, "VmRSS") for pid in self.pids())
        self.cpu = cpu_seconds(self.cpu_roots)
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc_info):
        self.seconds = time.perf_counter() - self.started
        self.cpu_s = cpu_seconds(self.cpu_roots) - self.cpu
        peak_kb = sum(_status_kb(pid, "VmHWM") for pid in self.pids())
        self.mem_growth_mb = max(0, peak_kb - self.rss_kb) / 1024

    def row(self, size: int, units: int, **extra) -> dict:
        row = {"size": size, "units": units, "seconds": round(self.seconds, 4), "cpu_s": round(self.cpu_s, 3)}
        row["mem_growth_mb"] = round(self.mem_growth_mb, 2)
        return {**row, **extra}


def _show(path: str, row: dict) -> None:
    per = row["seconds"] / row["units"] * 1000 if row["units"] else float("nan")
    print(
        f"  {path} size {row['size']}: {row['units']} units in {row['seconds']:.2f} s ({per:.3f} ms each), "
        f"CPU {row['cpu_s']:.2f} s, memory +{row['mem_growth_mb']:.1f} MB",
        flush=True,
    )


def _here() -> Pass:
    """A pass of this process and of its database backend (their CPU: the database does much of the work)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    return Pass([os.getpid()], extra_cpu=(backend,))


def _plain_django(args) -> None:
    """A fresh database, migrated, for the paths measured in this process."""
    import tempfile

    from bench.alerts import recreate_database, server_environment
    from bench.status_page import setup_django

    var_dir = tempfile.mkdtemp(prefix="vigil-bench-scaling-")
    database_url = recreate_database(args.postgres, args.database, getattr(args, "template", None))
    setup_django(server_environment(database_url, args.redis, 8000, var_dir))
    import redis

    redis.Redis.from_url(args.redis).flushdb()


# --- Fan-out: one public update to N stakeholders, email and SMS, by a real comms worker ---------


def run_fanout(args, sizes: list[int]) -> list[dict]:
    import subprocess
    import sys
    import tempfile

    from bench._common import stop_process
    from bench.fanout import CELERY, ROOT, make_audience, setup, wait_ready, wait_sent
    from tests.comms.fakes import FakeSendGrid, FakeTwilio

    args.twilio_concurrency, args.workers = 16, 4
    var_dir = Path(tempfile.mkdtemp(prefix="vigil-bench-scaling-"))
    fakes = {"sendgrid": FakeSendGrid().start(), "twilio": FakeTwilio().start()}
    worker, rows = None, []
    try:
        env = setup(args, fakes, var_dir)
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        from incidents.models import Component
        from incidents.services import do_declare, do_post_update
        from vigil.audit import SYSTEM

        hostname = f"bench-scaling-{os.getpid()}@localhost"
        command = [str(CELERY), "-A", "vigil", "worker", "-Q", "default,comms", "-P", "threads", "-c", "4"]
        command += ["--hostname", hostname, "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]
        with (var_dir / "worker.log").open("w") as log:
            worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_ready(worker, hostname)
        for size in sizes:
            component = make_audience(size)
            incident, _ = do_declare(SYSTEM, title=f"API errors ({size})", components=[component])
            Component.objects.filter(pk=component.pk).update(name=f"API {size}")  # the next size makes its own "API"
            with Pass([worker.pid]) as measured:
                started = time.monotonic()
                update = do_post_update(SYSTEM, incident, "investigating", "We are looking into errors on the API.")
                outcome = wait_sent(update, max(300.0, size / 20), started)
            if len(outcome["done"]) != 2 or outcome["failed"]:
                print(f"fan-out of {size} incomplete: {outcome}", file=sys.stderr)
            planned = outcome["planned_s"]  # the one planning task's share; the sends spread over workers
            rows.append(
                measured.row(size, size, notifications=outcome["rows"], failed=outcome["failed"], planned_s=planned)
            )
            _show("fanout", rows[-1])
    finally:
        if worker is not None:
            stop_process(worker)
        for fake in fakes.values():
            fake.stop()
    return rows


# --- Probes: N HTTP monitors on one probe worker (Celery, 2 processes), all due at once ------------


def run_probes(args, sizes: list[int]) -> list[dict]:
    from bench._common import VigilMonitoring, start_target, stop_process
    from bench.probes import burst, create_monitors

    target, url = start_target()
    rows, made = [], 0
    try:
        with VigilMonitoring(args, concurrency=2) as vigil:
            for size in sizes:
                create_monitors(url, size - made, 3600)  # an hour: no monitor comes due twice in a burst
                made = size
                burst(vigil, size)  # warm-up: the new monitors' first check (pending -> up) is a different path
                with Pass([worker.pid for worker in vigil.workers]) as measured:
                    rate = burst(vigil, size)
                rows.append(measured.row(size, size, checks_per_s=round(rate, 1)))
                rows[-1]["seconds"] = round(size / rate, 4)  # burst's own clock: claim to last result written
                _show("probes", rows[-1])
    finally:
        stop_process(target)
    return rows


# --- Alert ingestion: the same mix of webhooks with N open alerts already in the database ----------


GROUPS, KNOWN = 20, 200


def _seed_open_alerts(integration, start: int, end: int) -> None:
    """Firing alerts START..END-1, copied in SQL from the first alert of their group (made by real
    ingestion), each with the fingerprint bench/alerts.py's AlertBodies gives webhook N."""
    from django.db import connection

    from incidents.models import Alert

    columns = [f.column for f in Alert._meta.concrete_fields if f.column not in ("id", "fingerprint")]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Alert._meta.db_table} (fingerprint, {', '.join(columns)}) "
            f"SELECT lpad(to_hex(n), 16, '0'), {', '.join('a.' + c for c in columns)} "
            f"FROM generate_series(%s, %s) n JOIN {Alert._meta.db_table} a "
            "ON a.integration_id = %s AND a.fingerprint = lpad(to_hex(n %% %s), 16, '0')",
            [start, end - 1, integration.pk, GROUPS],
        )
        cursor.execute(f"ANALYZE {Alert._meta.db_table}")


def run_alerts(args, sizes: list[int]) -> list[dict]:
    """Open alerts grow; each size measures ARGS.webhooks webhooks, 95% repeats of KNOWN alerts
    and 5% new ones joining their group's incident (bench/alerts.py's mix), then the flush."""
    import random

    from bench.alerts import AlertBodies

    _plain_django(args)
    from django.test import Client

    from incidents.integrations.buffer import flush_repeats
    from incidents.models import Alert, Integration

    integration = Integration.objects.create(name="bench", kind=Integration.Kind.ALERTMANAGER)
    client, path, bodies = Client(HTTP_HOST="127.0.0.1"), integration.get_ingest_path(), AlertBodies(GROUPS)

    def post(n: int) -> None:
        response = client.post(path, bodies.body(n), content_type="application/json")
        assert response.status_code == 200, response.content

    for n in range(KNOWN):  # opens one incident per group; these are the repeats measured below
        post(n)
    known = [bodies.body(n) for n in range(KNOWN)]
    pick, new, open_ = random.Random(7), 10**9, KNOWN
    rows = []
    for size in sizes:
        _seed_open_alerts(integration, open_, size)
        open_ = size
        with _here() as measured:
            for _ in range(args.webhooks):
                if pick.random() < 0.05:
                    post(new)
                    new += 1
                else:
                    response = client.post(path, pick.choice(known), content_type="application/json")
                    assert response.status_code == 200, response.content
            flush_repeats()
        firing = Alert.objects.filter(status="firing").count()
        rows.append(measured.row(size, args.webhooks, open_alerts=firing))
        _show("alerts", rows[-1])
    return rows


# --- Reports: the 365-day report over N incidents ------------------------------------------------


def run_reports(args, sizes: list[int]) -> list[dict]:
    from bench.reports import QUERY, Seeder

    _plain_django(args)
    from django.db import connection

    from postmortems.reports import Period, build

    seeder, rows, made = Seeder(), [], 0
    for size in sizes:
        # One monitor of rollups a step: the report's uptime part is bench/reports.py's; here incidents grow.
        seeder.add(incidents=size - made, monitors=1, rollups=120)
        made = size
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        build(Period.from_query(QUERY))  # warm: plans cached, first-use imports done
        times = []
        with _here() as measured:
            for _ in range(3):
                started = time.perf_counter()
                report = build(Period.from_query(QUERY))
                times.append(time.perf_counter() - started)
        rows.append(measured.row(size, size, incidents_in_report=report["summary"].rows[0]["incidents"]))
        rows[-1]["seconds"] = round(statistics.median(times), 4)
        rows[-1]["cpu_s"] = round(measured.cpu_s / len(times), 3)
        _show("reports", rows[-1])
    return rows


# --- Status page: the snapshot rebuilt with N public components -----------------------------------


def _add_components(start: int, end: int) -> None:
    """Components START..END-1, ten a group, each with a monitor and 90 daily rollups (some down)."""
    from datetime import timedelta

    from django.utils import timezone

    from incidents.models import Component, ComponentGroup
    from monitoring.models import Monitor, Rollup
    from monitoring.uptime import floor_day

    today = floor_day(timezone.now())
    for first in range(start, end, 10):
        group = ComponentGroup.objects.create(name=f"Group {first}", position=first)
        components = Component.objects.bulk_create(
            Component(name=f"Service {n}", group=group, position=n, description=f"Service {n} for customers.")
            for n in range(first, min(first + 10, end))
        )
        monitors = Monitor.objects.bulk_create(
            Monitor(name=f"{c.name} check", target=f"https://{c.pk}.example/", component=c) for c in components
        )
        Rollup.objects.bulk_create(
            Rollup(
                monitor=m,
                period="day",
                start=today - timedelta(days=day),
                monitored_seconds=86400.0,
                downtime_seconds=0.0 if (day * 7 + m.pk) % 23 else 600.0,
            )
            for m in monitors
            for day in range(90)
        )


def run_status(args, sizes: list[int]) -> list[dict]:
    from bench.status_page import build_snapshot

    _plain_django(args)
    from incidents.models import Component
    from incidents.services import do_declare, do_post_update
    from vigil.audit import Actor

    rows, made = [], 0
    for size in sizes:
        _add_components(made, size)
        if not made:
            first = list(Component.objects.order_by("pk")[:2])
            incident, _ = do_declare(Actor(via="cli"), title="Elevated errors", components=first)
            do_post_update(Actor(via="cli"), incident, "investigating", "We are looking into it.")
        made = size
        build_snapshot()  # warm
        times = []
        with _here() as measured:
            for _ in range(3):
                started = time.perf_counter()
                page, _, summary = build_snapshot()
                times.append(time.perf_counter() - started)
        rows.append(measured.row(size, size, page_bytes=page, summary_bytes=summary))
        rows[-1]["seconds"] = round(statistics.median(times), 4)
        rows[-1]["cpu_s"] = round(measured.cpu_s / len(times), 3)
        _show("status", rows[-1])
    return rows


PATHS = {
    "fanout": run_fanout,
    "probes": run_probes,
    "alerts": run_alerts,
    "reports": run_reports,
    "status": run_status,
}
