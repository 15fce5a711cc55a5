"""Alert ingestion: Alertmanager webhooks per second through gunicorn, against a trivial view.

    .venv/bin/python bench/alerts.py [--quick]

It makes a PostgreSQL database (vigil_bench_alerts, dropped and made again), migrates it,
creates an Alertmanager integration through the ORM, and starts gunicorn (3 workers of
4 threads by default) on a free loopback port serving bench/wsgi_bench.py: Vigil plus
one trivial Django view (GET /bench/ping/), so the figure and its baseline go through
the same server, workers and middleware. A load generator in this process (asyncio,
one connection per request, as sync workers close each one) then alternates rounds of

- baseline: GET /bench/ping/ (no database), and
- alerts: real Alertmanager webhooks (the firing fixture, version 4, one alert each):
  mostly repeats of fingerprints Vigil already knows (the dedup path), and 5% new ones
  that join their group's open incident (Alertmanager resends every firing alert of a
  group with each notification of it, so most alerts it sends are repeats),

each bounded in time and count. At the end it checks the database: one incident per
group, one alert row per fingerprint, and every accepted webhook counted once.
The last line printed is JSON: alerts_per_s, baseline_per_s, ratio, errors and more.
"""

import argparse
import asyncio
import copy
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "incidents" / "integrations" / "fixtures" / "alertmanager" / "firing.json"
GUNICORN = Path(sys.executable).parent / "gunicorn"
PING_PATH = "/bench/ping/"
GOAL_ALERTS_PER_S = 500
GOAL_RATIO = 0.5


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default="vigil_bench_alerts")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    # Threads overlap each request's database round trips; with one, workers are plain sync ones.
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (over 1: gthread workers)")
    parser.add_argument("--concurrency", type=int, default=12, help="requests in flight")
    parser.add_argument("--seconds", type=float, help="length of each measured phase")
    parser.add_argument("--rounds", type=int, help="baseline/alerts rounds, alternated")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap on requests per phase")
    parser.add_argument("--groups", type=int, default=20, help="alert groups (one incident each)")
    parser.add_argument("--known", type=int, default=400, help="fingerprints sent before measuring")
    parser.add_argument("--new-fraction", type=float, default=0.05, help="share of measured alerts never seen before")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    args.seconds = args.seconds or (5.0 if args.quick else 15.0)
    args.rounds = args.rounds or (2 if args.quick else 3)
    return args


# --- Setup -------------------------------------------------------------------------------


def _admin_connection(server_url: str):
    import psycopg2

    parts = urlsplit(server_url)
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    conn.autocommit = True
    return conn


def _admin(server_url: str, statement: str) -> None:
    # Not `with conn`: psycopg2 opens a transaction there, and these statements refuse one.
    conn = _admin_connection(server_url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    finally:
        conn.close()


def drop_database(server_url: str, name: str) -> None:
    _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def recreate_database(server_url: str, name: str) -> str:
    drop_database(server_url, name)
    _admin(server_url, f'CREATE DATABASE "{name}"')
    return f"{server_url.rstrip('/')}/{name}"


def server_environment(database_url: str, port: int, var_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1",
        VIGIL_BASE_URL=f"http://127.0.0.1:{port}",
        VIGIL_VAR_DIR=var_dir,
        LOG_LEVEL="WARNING",
    )
    return env


def setup_django(env: dict):
    """Migrate the bench database and make the integration, through Vigil's own code."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigil.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from incidents.models import Integration

    return Integration.objects.create(name="bench", kind=Integration.Kind.ALERTMANAGER)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, workers: int, threads: int, env: dict, log_path: Path) -> subprocess.Popen:
    command = [
        str(GUNICORN),
        "bench.wsgi_bench:application",
        "--chdir", str(ROOT),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", "sync" if threads == 1 else "gthread",
        "--threads", str(threads),
        "--backlog", "2048",
        "--log-level", "warning",
    ]  # fmt: skip
    with log_path.open("w") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)


def wait_until_serving(port: int, process: subprocess.Popen, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    request = get_request(port, PING_PATH)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
        status = asyncio.run(one_request(port, request))
        if status == 200:
            return
        time.sleep(0.2)
    sys.exit(f"gunicorn did not serve {PING_PATH} within {timeout} s:\n{log_path.read_text()[-3000:]}")


# --- Requests ------------------------------------------------------------------------------


def get_request(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()


def post_request(port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


class AlertBodies:
    """Alertmanager webhooks from the real fixture: one alert each, in GROUPS alert groups."""

    def __init__(self, groups: int):
        self.template = json.loads(FIXTURE.read_text())
        self.groups = groups

    def body(self, n: int) -> bytes:
        payload = copy.deepcopy(self.template)
        alertname = f"BenchProbeDown{n % self.groups}"
        alert = payload["alerts"][0]
        alert["labels"].update(alertname=alertname, instance=f"10.0.{n // 250}.{n % 250}:9100")
        alert["annotations"]["summary"] = f"Probe failed for instance {n}"
        alert["fingerprint"] = f"{n:016x}"
        payload["groupLabels"] = {"alertname": alertname}
        payload["commonLabels"] = dict(alert["labels"])
        payload["groupKey"] = f'{{}}:{{alertname="{alertname}"}}'
        return json.dumps(payload).encode()


class Exchange(asyncio.Protocol):
    """One request on its own connection; the response's status code is all that is read."""

    def __init__(self, request: bytes, done: asyncio.Future):
        self.request = request
        self.done = done
        self.head = b""

    def connection_made(self, transport):
        transport.write(self.request)

    def data_received(self, data):
        if len(self.head) < 12:
            self.head += data

    def connection_lost(self, exc):
        if not self.done.done():
            self.done.set_result(self.head)


async def one_request(port: int, request: bytes) -> int:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    try:
        await loop.create_connection(lambda: Exchange(request, done), "127.0.0.1", port)
        head = await asyncio.wait_for(done, timeout=10)
    except (OSError, TimeoutError):
        return 0
    try:
        return int(head[9:12])
    except ValueError:
        return 0


async def load(port: int, next_request, seconds: float, max_requests: int, concurrency: int) -> dict:
    """Keep CONCURRENCY requests in flight until SECONDS pass or MAX_REQUESTS are sent."""
    sent = ok = 0
    errors: dict[int, int] = {}
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal sent, ok
        while sent < max_requests and time.perf_counter() < deadline:
            sent += 1
            request = next_request()
            if request is None:
                return
            started = time.perf_counter()
            status = await one_request(port, request)
            latencies.append(time.perf_counter() - started)
            if status == 200:
                ok += 1
            else:
                errors[status] = errors.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"ok": ok, "errors": errors, "elapsed": elapsed, "latencies": latencies}


class AlertMix:
    """Mostly repeats of known fingerprints; NEW_FRACTION of the requests are new alerts."""

    def __init__(self, port: int, path: str, bodies: AlertBodies, known: int, new_fraction: float, seed: int = 7):
        self.port, self.path, self.bodies = port, path, bodies
        self.known = [post_request(port, path, bodies.body(n)) for n in range(known)]
        self.next_new = known
        self.new_fraction = new_fraction
        self.random = random.Random(seed)
        self.new_sent = 0

    def __call__(self) -> bytes:
        if self.random.random() < self.new_fraction:
            self.next_new += 1
            self.new_sent += 1
            return post_request(self.port, self.path, self.bodies.body(self.next_new - 1))
        return self.random.choice(self.known)


def summarise(phases: list[dict]) -> dict:
    ok = sum(p["ok"] for p in phases)
    elapsed = sum(p["elapsed"] for p in phases)
    errors = sum(sum(p["errors"].values()) for p in phases)
    latencies = sorted(x for p in phases for x in p["latencies"])
    return {
        "per_s": ok / elapsed if elapsed else 0.0,
        "ok": ok,
        "errors": errors,
        "error_codes": {str(k): v for p in phases for k, v in p["errors"].items()},
        "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else None,
    }


# --- Checks ----------------------------------------------------------------------------------


def check_database(integration, groups: int, expected_alert_rows: int, accepted: int) -> dict:
    from django.db import connection
    from django.db.models import Sum

    from incidents.models import Alert, Incident

    connection.close()  # a fresh connection after the load
    incidents = Incident.objects.count()
    rows = Alert.objects.filter(integration=integration).count()
    counted = Alert.objects.filter(integration=integration).aggregate(n=Sum("received_count"))["n"] or 0
    return {
        "incidents": incidents,
        "alert_rows": rows,
        "received_total": counted,
        "consistent": incidents == groups and rows == expected_alert_rows and counted == accepted,
    }


# --- Main ------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    t0 = time.monotonic()
    database_url = recreate_database(args.postgres, args.database)
    port = free_port()
    var_dir = tempfile.mkdtemp(prefix="vigil-bench-alerts-")
    env = server_environment(database_url, port, var_dir)
    integration = setup_django(env)
    from django.db import connection

    connection.close()
    log_path = Path(var_dir) / "gunicorn.log"
    server = start_gunicorn(port, args.workers, args.threads, env, log_path)
    try:
        wait_until_serving(port, server, log_path)
        path = integration.get_ingest_path()
        bodies = AlertBodies(args.groups)
        mix = AlertMix(port, path, bodies, args.known, args.new_fraction)
        ping = get_request(port, PING_PATH)
        print(
            f"gunicorn: {args.workers} workers x {args.threads} threads on 127.0.0.1:{port}; "
            f"concurrency {args.concurrency}; "
            f"{args.rounds} rounds of {args.seconds:g} s each; setup took {time.monotonic() - t0:.1f} s"
        )

        # Every known fingerprint once: these open one incident per group and are the repeats below.
        seeding = iter(mix.known)
        seeded = asyncio.run(load(port, lambda: next(seeding, None), 120, len(mix.known), args.concurrency))
        if seeded["errors"]:
            print(f"seeding errors: {seeded['errors']}\n{log_path.read_text()[-2000:]}")
        accepted = seeded["ok"]
        # Warm every worker on both paths (imports, connections) before measuring.
        asyncio.run(load(port, lambda: ping, 1.0, 10_000, args.concurrency))
        warm = asyncio.run(load(port, mix, 1.0, 10_000, args.concurrency))
        accepted += warm["ok"]

        baseline_phases, alert_phases = [], []
        for round_ in range(1, args.rounds + 1):
            baseline = asyncio.run(load(port, lambda: ping, args.seconds, args.max_requests, args.concurrency))
            alerts = asyncio.run(load(port, mix, args.seconds, args.max_requests, args.concurrency))
            baseline_phases.append(baseline)
            alert_phases.append(alerts)
            accepted += alerts["ok"]
            print(
                f"round {round_}: baseline {baseline['ok'] / baseline['elapsed']:.0f} req/s, "
                f"alerts {alerts['ok'] / alerts['elapsed']:.0f} webhooks/s"
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    # A new alert that failed (an error) may or may not have its row: count rows as sent.
    check = check_database(integration, args.groups, args.known + mix.new_sent, accepted)
    base, ingest = summarise(baseline_phases), summarise(alert_phases)
    ratio = ingest["per_s"] / base["per_s"] if base["per_s"] else 0.0
    errors = ingest["errors"] + sum(seeded["errors"].values()) + sum(warm["errors"].values())
    print(
        f"baseline (trivial Django view): {base['per_s']:.0f} req/s, p50 {base['p50_ms']:.1f} ms, "
        f"errors {base['errors']}"
    )
    print(
        f"alerts (Alertmanager webhooks, 1 alert each, {args.new_fraction:.0%} new): {ingest['per_s']:.0f} alerts/s, "
        f"p50 {ingest['p50_ms']:.1f} ms, p99 {ingest['p99_ms']:.1f} ms, errors {errors}"
    )
    print(f"ratio alerts/baseline: {ratio:.2f}")
    print(
        f"database after the run: {check['incidents']} incidents for {args.groups} groups, "
        f"{check['alert_rows']} alert rows, {check['received_total']} receipts counted for {accepted} accepted: "
        f"{'consistent' if check['consistent'] else 'INCONSISTENT'}"
    )
    met = ingest["per_s"] >= GOAL_ALERTS_PER_S and ratio >= GOAL_RATIO
    print(f"goal (>= {GOAL_ALERTS_PER_S} alerts/s and ratio >= {GOAL_RATIO}): {'met' if met else 'NOT met'}")
    if not args.keep_db:
        from django.db import connections

        connections.close_all()
        drop_database(args.postgres, args.database)
    result = {
        "bench": "alerts",
        "alerts_per_s": round(ingest["per_s"], 1),
        "baseline_per_s": round(base["per_s"], 1),
        "ratio": round(ratio, 3),
        "errors": errors,
        "baseline_errors": base["errors"],
        "alerts_p50_ms": round(ingest["p50_ms"], 2),
        "alerts_p99_ms": round(ingest["p99_ms"], 2),
        "baseline_p50_ms": round(base["p50_ms"], 2),
        "alerts_measured": ingest["ok"],
        "new_fraction": args.new_fraction,
        "workers": args.workers,
        "threads": args.threads,
        "concurrency": args.concurrency,
        "seconds_per_phase": args.seconds,
        "rounds": args.rounds,
        "quick": args.quick,
        "consistent": check["consistent"],
        "goal_met": met,
    }
    print(json.dumps(result))
    return 0 if check["consistent"] else 1


if __name__ == "__main__":
    sys.exit(main())
