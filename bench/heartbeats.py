"""Heartbeat pings per second through gunicorn, against a trivial view, with no ping lost.

    .venv/bin/python bench/heartbeats.py [--quick]

It makes a PostgreSQL database (vigil_bench_heartbeats, dropped and made again), migrates it,
creates 1,000 heartbeat monitors through the ORM, empties Vigil's ping keys in Redis, and starts
gunicorn (3 sync workers by default) on a free loopback port serving bench/wsgi_bench.py: Vigil
plus one trivial Django view (GET /bench/ping/), with Redis configured as in production, so the
figure and its baseline go through the same server, workers and middleware. A flusher process
calls monitoring.heartbeats.flush_pings() every second, as the dispatcher does, and counts the
pings each flush writes to the database. A load generator in this process (asyncio, one
connection per request, as sync workers close each one) then alternates rounds of

- baseline: GET /bench/ping/ (no database), and
- pings: the ping URLs of the 1,000 monitors, shuffled: ten per monitor, seven GET /ping/<token>
  and one each of POST, HEAD and GET /ping/<token>/start,

each bounded in time and count. Every token is pinged once before measuring (its first ping
looks it up in the database; later ones touch only Redis). At the end a last flush runs, and
lost = pings answered 200 - pings the flushes wrote; the database must also show every monitor
up with a last ping time.
The floor (bench/_floor.py) is the trivial view's req/s and server CPU per request, by process,
from the same run; floor_ratio (its CPU per request / a ping's) has the goal >= 1.0 (issue #23).
The last line printed is JSON: pings_per_s, baseline_per_s, ratio, lost, floor_* and more.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import add_arguments, process_tree  # noqa: E402
from bench._floor import floor_report  # noqa: E402
from bench.alerts import (  # noqa: E402
    PING_PATH,
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

GOAL_PINGS_PER_S = 1500
GOAL_RATIO = 0.5
GOAL_FLOOR = 1.0  # issue #23: a ping costs the server no more CPU than the trivial view
FLUSH_EVERY_S = 1.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, "vigil_bench_heartbeats")
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--monitors", type=int, default=1000, help="heartbeat monitors pinged")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (over 1: gthread workers)")
    parser.add_argument("--concurrency", type=int, default=12, help="requests in flight")
    parser.add_argument("--seconds", type=float, help="length of each measured phase")
    parser.add_argument("--rounds", type=int, help="baseline/pings rounds, alternated")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap on requests per phase")
    args = parser.parse_args()
    if not args.redis:
        parser.error("--redis is required: without Redis each ping is written to the database in the request")
    args.seconds = args.seconds or (5.0 if args.quick else 15.0)
    args.rounds = args.rounds or (2 if args.quick else 3)
    return args


# --- Setup -----------------------------------------------------------------------------------


def setup_django(env: dict, monitors: int) -> list[str]:
    """Migrate, create the heartbeats and empty the ping keys, through Vigil's own code.
    Returns the monitors' ping URLs."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigil.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from monitoring.heartbeats import ping_buffer
    from monitoring.models import Monitor

    call_command("migrate", verbosity=0)
    Monitor.objects.bulk_create(
        Monitor(name=f"job {n:04d}", kind=Monitor.Kind.HEARTBEAT, period_seconds=3600, grace_seconds=300)
        for n in range(monitors)
    )
    ping_buffer().clear()
    urls = [monitor.ping_url for monitor in Monitor.objects.order_by("pk")]
    connections.close_all()  # the flusher process forks from here
    return urls


def ping_requests(port: int, urls: list[str], seed: int = 7) -> list[bytes]:
    """Ten pings per monitor, all shuffled: seven GET, one POST, one HEAD, one GET .../start."""
    host = f"Host: 127.0.0.1:{port}\r\nConnection: close\r\n"
    requests = []
    for url in urls:
        requests += [get_request(port, url)] * 7
        requests.append(f"POST {url} HTTP/1.1\r\n{host}Content-Length: 2\r\n\r\nok".encode())
        requests.append(f"HEAD {url} HTTP/1.1\r\n{host}\r\n".encode())
        requests.append(get_request(port, f"{url}/start"))
    random.Random(seed).shuffle(requests)
    return requests


def cycle(requests: list[bytes]):
    position = 0

    def next_request() -> bytes:
        nonlocal position
        position += 1
        return requests[position % len(requests)]

    return next_request


# --- The flusher -------------------------------------------------------------------------------


def flusher(stopping, results) -> None:
    """Flush every second until STOPPING is set; send back the totals (runs in its own process,
    as the dispatcher does, so it does not take the load generator's interpreter)."""
    from django.db import connections

    from monitoring.heartbeats import flush_pings

    pings = dropped = flushes = incomplete = 0
    slowest = 0.0
    beat = time.monotonic()
    while not stopping.is_set():
        started = time.monotonic()
        flushed = flush_pings()
        slowest = max(slowest, time.monotonic() - started)
        pings, dropped, flushes = pings + flushed.added, dropped + flushed.dropped, flushes + 1
        incomplete += not flushed.complete
        beat += FLUSH_EVERY_S
        stopping.wait(max(0.0, beat - time.monotonic()))
    connections.close_all()
    results.send({"pings": pings, "dropped": dropped, "flushes": flushes, "incomplete": incomplete, "slowest": slowest})


def start_flusher():
    context = multiprocessing.get_context("fork")
    stopping = context.Event()
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=flusher, args=(stopping, sending), daemon=True)
    process.start()
    return process, stopping, receiving


def stop_flusher(process, stopping, receiving) -> dict:
    stopping.set()
    totals = receiving.recv()
    process.join()
    return totals


# --- Checks --------------------------------------------------------------------------------------


def final_count(flusher_totals: dict, answered: int, monitors: int) -> dict:
    """The last flush, then what the database shows against what was answered."""
    from django.db import connection

    from monitoring.heartbeats import flush_pings
    from monitoring.models import Monitor

    connection.close()
    last = flush_pings()
    recorded = flusher_totals["pings"] + last.added
    dropped = flusher_totals["dropped"] + last.dropped
    up = Monitor.objects.filter(state=Monitor.State.UP, last_ping_at__isnull=False).count()
    return {
        "answered": answered,
        "recorded": recorded,
        "dropped": dropped,
        "lost": answered - recorded,
        "monitors_up": up,
        "consistent": answered == recorded and dropped == 0 and up == monitors and last.complete,
    }


# --- Main ------------------------------------------------------------------------------------------


# --- Server CPU ------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class ServerCpu:
    """CPU seconds spent serving, by part: gunicorn and its workers, the flusher, Redis and the
    bench database's PostgreSQL backends; not the load generator. Other work on the machine slows
    a phase but adds nothing here, so CPU per request compares better than requests per second."""

    def __init__(self, gunicorn: int, flusher: int, database: str, postgres: str):
        from monitoring.heartbeats import ping_buffer

        redis_pid = ping_buffer().client.info("server")["process_id"]
        self.roots = {"gunicorn": gunicorn, "flusher": flusher, "redis": redis_pid}
        self.database, self.postgres = database, postgres

    def _backends(self) -> list[int]:
        from bench.alerts import _admin_connection

        conn = _admin_connection(self.postgres)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database])
                return [row[0] for row in cursor.fetchall()]
        finally:
            conn.close()

    def sample(self) -> dict[str, dict[int, float]]:
        parts = {part: process_tree(root) for part, root in self.roots.items()}
        parts["postgres"] = self._backends()
        return {part: {pid: cpu_seconds(pid) for pid in pids} for part, pids in parts.items()}

    def phase(self, run):
        """Run one load phase; its figures gain cpu_s, the server CPU it cost by part."""
        before = self.sample()
        result = run()
        after = self.sample()
        result["cpu_s"] = {
            part: sum(max(0.0, cpu - before[part].get(pid, 0.0)) for pid, cpu in pids.items())
            for part, pids in after.items()
        }
        return result


def measure(args, port: int, urls: list[str], cpu: ServerCpu) -> tuple[list[dict], list[dict], int, int]:
    """Seed every token, warm up, then alternate the rounds.
    Returns both phases' figures, the pings answered 200 and the errors before measuring."""
    seeding = iter([get_request(port, url) for url in urls])
    seeded = asyncio.run(load(port, lambda: next(seeding, None), 120, len(urls), args.concurrency))
    baseline_request = get_request(port, PING_PATH)
    asyncio.run(load(port, lambda: baseline_request, 1.0, 10_000, args.concurrency))
    next_ping = cycle(ping_requests(port, urls))
    warm = asyncio.run(load(port, next_ping, 1.0, 10_000, args.concurrency))
    answered = seeded["ok"] + warm["ok"]
    baseline_phases, ping_phases = [], []
    for round_ in range(1, args.rounds + 1):
        baseline = cpu.phase(
            lambda: asyncio.run(load(port, lambda: baseline_request, args.seconds, args.max_requests, args.concurrency))
        )
        measured = cpu.phase(
            lambda: asyncio.run(load(port, next_ping, args.seconds, args.max_requests, args.concurrency))
        )
        baseline_phases.append(baseline)
        ping_phases.append(measured)
        answered += measured["ok"]
        print(
            f"round {round_}: baseline {baseline['ok'] / baseline['elapsed']:.0f} req/s, "
            f"pings {measured['ok'] / measured['elapsed']:.0f} pings/s; server CPU per request: "
            f"baseline {cpu_ms(baseline):.2f} ms, pings {cpu_ms(measured):.2f} ms"
        )
    errors = sum(seeded["errors"].values()) + sum(warm["errors"].values())
    return baseline_phases, ping_phases, answered, errors


def cpu_ms(*phases: dict, part: str | None = None) -> float:
    """Server CPU per request answered, in ms: all parts, or PART alone."""
    ok = sum(p["ok"] for p in phases)
    spent = sum(cpu for p in phases for name, cpu in p["cpu_s"].items() if part in (None, name))
    return spent * 1000 / ok if ok else 0.0


def report(args, baseline_phases: list[dict], ping_phases: list[dict], setup_errors: int, totals: dict, check: dict):
    """Print the figures in words; returns them as the JSON result."""
    base, pings = summarise(baseline_phases), summarise(ping_phases)
    errors = pings["errors"] + setup_errors
    ratio = pings["per_s"] / base["per_s"] if base["per_s"] else 0.0
    base_cpu, ping_cpu = cpu_ms(*baseline_phases), cpu_ms(*ping_phases)
    print(f"baseline (trivial Django view): {base['per_s']:.0f} req/s, p50 {base['p50_ms']:.1f} ms")
    print(
        f"pings: {pings['per_s']:.0f} pings/s, p50 {pings['p50_ms']:.1f} ms, p99 {pings['p99_ms']:.1f} ms, "
        f"errors {errors} {pings['error_codes'] or ''}"
    )
    print(f"ratio pings/baseline: {ratio:.2f}")
    parts = _by_part(ping_phases)
    print(
        f"server CPU per request: baseline {base_cpu:.2f} ms, ping {ping_cpu:.2f} ms "
        f"({', '.join(f'{part} {ms:.2f}' for part, ms in parts.items())}); "
        f"ratio by CPU {base_cpu / ping_cpu if ping_cpu else 0:.2f}"
    )
    floor = floor_report(
        "pings",
        {"per_s": base["per_s"], "cpu_ms": base_cpu, "cpu_ms_by": _by_part(baseline_phases)},
        {"per_s": pings["per_s"], "cpu_ms": ping_cpu, "cpu_ms_by": parts},
        GOAL_FLOOR,
    )
    print(
        f"flushes: {totals['flushes']} (slowest {totals['slowest']:.2f} s, {totals['incomplete']} incomplete); "
        f"pings answered {check['answered']}, recorded {check['recorded']}, lost {check['lost']}, "
        f"dropped {check['dropped']}"
    )
    verdict = "consistent" if check["consistent"] else "INCONSISTENT"
    print(f"database: {check['monitors_up']} of {args.monitors} heartbeats up with a last ping: {verdict}")
    met = pings["per_s"] >= GOAL_PINGS_PER_S and ratio >= GOAL_RATIO and check["lost"] == 0
    print(f"goal (>= {GOAL_PINGS_PER_S} pings/s, ratio >= {GOAL_RATIO}, none lost): {'met' if met else 'NOT met'}")
    return {
        "bench": "heartbeats",
        "pings_per_s": round(pings["per_s"], 1),
        "baseline_per_s": round(base["per_s"], 1),
        "ratio": round(ratio, 3),
        "lost": check["lost"],
        "pings_answered": check["answered"],
        "pings_recorded": check["recorded"],
        "dropped": check["dropped"],
        "errors": errors,
        "baseline_errors": base["errors"],
        "pings_p50_ms": round(pings["p50_ms"], 2),
        "pings_p99_ms": round(pings["p99_ms"], 2),
        "baseline_p50_ms": round(base["p50_ms"], 2),
        "ping_cpu_ms": round(ping_cpu, 3),
        "baseline_cpu_ms": round(base_cpu, 3),
        "cpu_ratio": round(base_cpu / ping_cpu, 3) if ping_cpu else 0.0,
        "ping_cpu_ms_by_part": {part: round(ms, 3) for part, ms in parts.items()},
        "flushes": totals["flushes"],
        "flush_slowest_s": round(totals["slowest"], 3),
        "monitors": args.monitors,
        "workers": args.workers,
        "threads": args.threads,
        "concurrency": args.concurrency,
        "seconds_per_phase": args.seconds,
        "rounds": args.rounds,
        "quick": args.quick,
        "consistent": check["consistent"],
        "goal_met": met,
        **floor,
    }


def _by_part(phases: list[dict]) -> dict[str, float]:
    return {part: cpu_ms(*phases, part=part) for part in phases[0]["cpu_s"]}


def main() -> int:
    args = parse_args()
    t0 = time.monotonic()
    database_url = recreate_database(args.postgres, args.database)
    port = free_port()
    var_dir = tempfile.mkdtemp(prefix="vigil-bench-heartbeats-")
    env = server_environment(database_url, args.redis, port, var_dir)
    urls = setup_django(env, args.monitors)
    flushing = start_flusher()
    log_path = Path(var_dir) / "gunicorn.log"
    server = start_gunicorn(port, args.workers, args.threads, env, log_path)
    try:
        wait_until_serving(port, server, log_path)
        print(
            f"gunicorn: {args.workers} workers x {args.threads} threads on 127.0.0.1:{port}; "
            f"{args.monitors} heartbeats; concurrency {args.concurrency}; "
            f"{args.rounds} rounds of {args.seconds:g} s each; setup took {time.monotonic() - t0:.1f} s"
        )
        cpu = ServerCpu(server.pid, flushing[0].pid, args.database, args.postgres)
        baseline_phases, ping_phases, answered, setup_errors = measure(args, port, urls, cpu)
    finally:
        server.terminate()
        server.wait(timeout=10)
        totals = stop_flusher(*flushing)

    check = final_count(totals, answered, args.monitors)
    result = report(args, baseline_phases, ping_phases, setup_errors, totals, check)
    if not args.keep_db:
        from django.db import connections

        connections.close_all()
        drop_database(args.postgres, args.database)
    print(json.dumps(result))
    return 0 if check["consistent"] else 1


if __name__ == "__main__":
    sys.exit(main())
