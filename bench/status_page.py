"""The public status page under load: its HTML and summary.json against static files of the same sizes.

    .venv/bin/python bench/status_page.py [--quick]

It makes a PostgreSQL database (vigil_bench_status, dropped and made again), migrates it and fills
a realistic page through Vigil's own code: 12 public components in three groups, each with a
monitor and 90 days of daily rollups (some downtime), an open incident with three public updates,
eight resolved ones of the last month, an upcoming and a completed maintenance. It builds the
snapshot (comms.status.snapshot.rebuild: the file under VAR_DIR/status, and Redis), then writes two
static files under STATIC_ROOT, of exactly the sizes of the page's HTML and of summary.json.

gunicorn (3 sync workers by default) serves bench/wsgi_bench.py on a free loopback port: Vigil
with Redis, DEBUG off, WhiteNoise in front as in production; the static files go through the same
server, workers and middleware stack (WhiteNoise answers them before Django's views). A load
generator in this process (asyncio, one connection per request, as sync workers close each one,
100 requests in flight by default; bench/alerts.py's) alternates rounds of four phases:

- static file the size of the page  /static/bench/page-sized.html
- the status page                   /status/
- static file the size of the JSON  /static/bench/json-sized.json
- summary.json                      /api/v2/summary.json

Each phase prints requests/s, p50/p99 latency and errors; the ratios compare each document with the
static file of its size, measured side by side. The server's CPU per request (gunicorn's processes,
read from /proc) is printed too: busy neighbours on the machine disturb it far less than rates.
The last line printed is JSON: page_rps, json_rps, static_rps, ratio, p99_ms, errors and more.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import process_tree  # noqa: E402
from bench.alerts import (  # noqa: E402
    drop_database,
    free_port,
    get_request,
    load,
    recreate_database,
    server_environment,
    start_gunicorn,
    summarise,
    wait_until_serving,
)
from bench.heartbeats import cpu_seconds  # noqa: E402

GOAL_RATIO = 0.8
GOAL_P99_MS = 50.0
PAGE_PATH, JSON_PATH = "/status/", "/api/v2/summary.json"
STATIC_PAGE, STATIC_JSON = "/static/bench/page-sized.html", "/static/bench/json-sized.json"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default="vigil_bench_status")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9", help="Redis URL; empty: no Redis")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (sync)")
    parser.add_argument("--concurrency", type=int, default=100, help="requests in flight")
    parser.add_argument("--seconds", type=float, help="length of each measured phase")
    parser.add_argument("--rounds", type=int, help="rounds of the four phases, alternated")
    parser.add_argument("--max-requests", type=int, default=300_000, help="cap on requests per phase")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    args.rounds = args.rounds or (2 if args.quick else 3)
    return args


# --- Setup ---------------------------------------------------------------------------------------


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigil.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed() -> None:
    """A page as a busy service has it, made through Vigil's own actions."""
    from django.utils import timezone

    from comms.status import services as maintenance
    from incidents.models import Component, ComponentGroup, PublicStatus
    from incidents.services import do_declare, do_post_update, do_resolve
    from monitoring.models import Monitor, Rollup
    from monitoring.uptime import floor_day
    from vigil.audit import Actor

    actor = Actor(via="cli")
    now = timezone.now()
    today = floor_day(now)
    components = []
    for g, (group, names) in enumerate(
        {
            "Core platform": ["Public API", "Website", "Dashboard", "Authentication"],
            "Data": ["Database", "Search", "File storage", "Reports"],
            "Delivery": ["Email", "SMS", "Webhooks", "Mobile push"],
        }.items()
    ):
        parent = ComponentGroup.objects.create(name=group, position=g)
        for n, name in enumerate(names):
            components.append(
                Component.objects.create(name=name, group=parent, position=n, description=f"{name} for customers.")
            )
    rollups = []
    for n, component in enumerate(components):
        target = f"https://{n}.example/"
        monitor = Monitor.objects.create(name=f"{component.name} check", target=target, component=component)
        for day in range(90):
            down = 0.0 if (day * 7 + n) % 23 else 300.0 * (1 + n % 4)
            start = today - timedelta(days=day)
            rollups.append(
                Rollup(monitor=monitor, period="day", start=start, monitored_seconds=86400.0, downtime_seconds=down)
            )
    Rollup.objects.bulk_create(rollups)
    for n in range(8):
        incident, _ = do_declare(actor, title=f"Slow responses on {components[n].name}", components=[components[n]])
        do_post_update(actor, incident, PublicStatus.INVESTIGATING, "We are looking into slow responses.")
        do_post_update(actor, incident, PublicStatus.IDENTIFIED, "A database index was missing; adding it.")
        do_resolve(actor, incident)
        do_post_update(actor, incident, PublicStatus.RESOLVED, "Responses are back to normal.")
        when = now - timedelta(days=3 * n + 1)
        type(incident).objects.filter(pk=incident.pk).update(started_at=when, resolved_at=when + timedelta(hours=1))
    open_incident, _ = do_declare(
        actor, title="Elevated error rates on the Public API", severity="sev2",
        components={components[0]: "partial_outage", components[1]: "degraded_performance"},
    )  # fmt: skip
    for status, text in (
        ("investigating", "We are seeing elevated error rates on the API and are investigating."),
        ("identified", "A faulty deploy is the cause; we are rolling it back."),
        ("monitoring", "The rollback is done; error rates are falling. We are watching."),
    ):
        do_post_update(actor, open_incident, status, text)
    soon = now + timedelta(days=2)
    maintenance.do_schedule_maintenance(
        actor, title="Database upgrade", message="Writes pause for about a minute.", components=components[4:6],
        starts_at=soon, ends_at=soon + timedelta(hours=1),
    )  # fmt: skip
    past = now - timedelta(days=5)
    maintenance.do_schedule_maintenance(
        actor, title="Network maintenance", message="Brief packet loss.", components=components[8:10],
        starts_at=past, ends_at=past + timedelta(hours=1),
    )  # fmt: skip


def build_snapshot() -> tuple[int, int, int]:
    """Rebuild and publish; returns the sizes of the page's HTML, of its gzip copy and of summary.json."""
    from comms.status import snapshot

    built = snapshot.rebuild()
    page = built.documents["index.html"]
    return len(page.body), len(page.gzipped or page.body), len(built.documents["api/v2/summary.json"].body)


def write_static_files(static_root: Path, page_bytes: int, json_bytes: int) -> None:
    """Files WhiteNoise serves as it serves Vigil's own assets (it reads STATIC_ROOT when it starts)."""
    folder = static_root / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    filler = b"<!-- static -->" * (page_bytes // 15 + 1)
    (folder / "page-sized.html").write_bytes(filler[:page_bytes])
    (folder / "json-sized.json").write_bytes((b'{"x":"' + b"y" * json_bytes)[: json_bytes - 2] + b'"}')


def content_length(port: int, path: str) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        assert response.status == 200, (path, response.status)
        return len(response.read())


# --- Measuring -------------------------------------------------------------------------------------


class GunicornCpu:
    def __init__(self, master: int):
        self.master = master

    def sample(self) -> float:
        return sum(cpu_seconds(pid) for pid in process_tree(self.master))


def measure(args, port: int, cpu: GunicornCpu) -> dict[str, list[dict]]:
    requests = {
        "static_page": get_request(port, STATIC_PAGE),
        "page": get_request(port, PAGE_PATH),
        "static_json": get_request(port, STATIC_JSON),
        "json": get_request(port, JSON_PATH),
    }
    phases: dict[str, list[dict]] = {name: [] for name in requests}
    for request in requests.values():  # warm every worker on each path
        asyncio.run(load(port, lambda r=request: r, 1.0, 20_000, args.concurrency))
    for round_ in range(1, args.rounds + 1):
        line = []
        for name, request in requests.items():
            before = cpu.sample()
            result = asyncio.run(load(port, lambda r=request: r, args.seconds, args.max_requests, args.concurrency))
            result["cpu_s"] = cpu.sample() - before
            phases[name].append(result)
            line.append(f"{name} {result['ok'] / result['elapsed']:.0f}/s")
        print(f"round {round_}: " + ", ".join(line), flush=True)
    return phases


def cpu_ms(phases: list[dict]) -> float:
    ok = sum(p["ok"] for p in phases)
    return sum(p["cpu_s"] for p in phases) * 1000 / ok if ok else 0.0


def report(args, phases: dict[str, list[dict]], sizes: dict[str, int]) -> dict:
    figures = {name: summarise(runs) for name, runs in phases.items()}
    cpu = {name: cpu_ms(runs) for name, runs in phases.items()}
    labels = {
        "static_page": f"static file, {sizes['page']} B",
        "page": f"status page HTML, {sizes['page']} B",
        "static_json": f"static file, {sizes['json']} B",
        "json": f"summary.json, {sizes['json']} B",
    }
    for name, f in figures.items():
        print(
            f"{labels[name]:<34} {f['per_s']:7.0f} req/s  p50 {f['p50_ms']:6.1f} ms  p99 {f['p99_ms']:6.1f} ms  "
            f"errors {f['errors']}{' ' + str(f['error_codes']) if f['errors'] else ''}  "
            f"server CPU {cpu[name]:.3f} ms/req"
        )
    page_ratio = figures["page"]["per_s"] / figures["static_page"]["per_s"]
    json_ratio = figures["json"]["per_s"] / figures["static_json"]["per_s"]
    ratio = min(page_ratio, json_ratio)
    p99 = max(figures["page"]["p99_ms"], figures["json"]["p99_ms"])
    errors = figures["page"]["errors"] + figures["json"]["errors"]
    static_errors = figures["static_page"]["errors"] + figures["static_json"]["errors"]
    print(f"ratio page/static {page_ratio:.2f}, summary.json/static {json_ratio:.2f}")
    print(
        f"server CPU ratio (static / document): page {cpu['static_page'] / cpu['page']:.2f}, "
        f"json {cpu['static_json'] / cpu['json']:.2f}"
    )
    met = ratio >= GOAL_RATIO and p99 < GOAL_P99_MS and errors == 0
    print(
        f"goal (ratio >= {GOAL_RATIO}, p99 < {GOAL_P99_MS:g} ms at {args.concurrency} connections, no errors): "
        f"{'met' if met else 'NOT met'}"
    )
    return {
        "bench": "status_page",
        "page_rps": round(figures["page"]["per_s"], 1),
        "json_rps": round(figures["json"]["per_s"], 1),
        "static_rps": round(figures["static_page"]["per_s"], 1),
        "static_json_rps": round(figures["static_json"]["per_s"], 1),
        "ratio": round(ratio, 3),
        "page_ratio": round(page_ratio, 3),
        "json_ratio": round(json_ratio, 3),
        "p99_ms": round(p99, 2),
        "page_p50_ms": round(figures["page"]["p50_ms"], 2),
        "page_p99_ms": round(figures["page"]["p99_ms"], 2),
        "json_p50_ms": round(figures["json"]["p50_ms"], 2),
        "json_p99_ms": round(figures["json"]["p99_ms"], 2),
        "static_p50_ms": round(figures["static_page"]["p50_ms"], 2),
        "static_p99_ms": round(figures["static_page"]["p99_ms"], 2),
        "errors": errors,
        "static_errors": static_errors,
        "page_cpu_ms": round(cpu["page"], 3),
        "json_cpu_ms": round(cpu["json"], 3),
        "static_cpu_ms": round(cpu["static_page"], 3),
        "page_bytes": sizes["page"],
        "json_bytes": sizes["json"],
        "workers": args.workers,
        "concurrency": args.concurrency,
        "seconds_per_phase": args.seconds,
        "rounds": args.rounds,
        "quick": args.quick,
        "goal_met": met,
    }


def main() -> int:
    args = parse_args()
    t0 = time.monotonic()
    database_url = recreate_database(args.postgres, args.database)
    port = free_port()
    var_dir = Path(tempfile.mkdtemp(prefix="vigil-bench-status-"))
    env = server_environment(database_url, args.redis, port, str(var_dir))
    setup_django(env)
    from django.conf import settings
    from django.db import connections

    from comms.status import snapshot

    if args.redis:  # a snapshot left by an earlier run must not be newer than this one's
        snapshot._redis().delete(snapshot.REDIS_DATA_KEY, snapshot.REDIS_VERSION_KEY)
    seed()
    page_bytes, page_gzip_bytes, json_bytes = build_snapshot()
    write_static_files(Path(settings.STATIC_ROOT), page_bytes, json_bytes)
    connections.close_all()
    log_path = var_dir / "gunicorn.log"
    server = start_gunicorn(port, args.workers, 1, env, log_path)
    try:
        wait_until_serving(port, server, log_path)
        sizes = {path: content_length(port, path) for path in (PAGE_PATH, STATIC_PAGE, JSON_PATH, STATIC_JSON)}
        assert sizes[PAGE_PATH] == sizes[STATIC_PAGE] == page_bytes, sizes
        assert sizes[JSON_PATH] == sizes[STATIC_JSON] == json_bytes, sizes
        print(
            f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}, Redis {args.redis or 'off'}; "
            f"concurrency {args.concurrency}; {args.rounds} rounds of 4 phases x {args.seconds:g} s; "
            f"page {page_bytes} B ({page_gzip_bytes} B gzipped, as browsers get it), summary.json {json_bytes} B; "
            f"setup took {time.monotonic() - t0:.1f} s",
            flush=True,
        )
        phases = measure(args, port, GunicornCpu(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=10)
    result = report(args, phases, {"page": page_bytes, "json": json_bytes})
    result["page_gzip_bytes"] = page_gzip_bytes
    if args.redis:
        snapshot._redis().delete(snapshot.REDIS_DATA_KEY, snapshot.REDIS_VERSION_KEY)
    if not args.keep_db:
        connections.close_all()
        drop_database(args.postgres, args.database)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
