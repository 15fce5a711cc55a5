"""Alert ingestion: Alertmanager webhooks per second through gunicorn, against a trivial view.

    .venv/bin/python bench/alerts.py [--quick] [--compare]

It makes a PostgreSQL database (vigil_bench_alerts, dropped and made again), migrates it,
creates an Alertmanager integration through the ORM, and starts gunicorn (3 workers of
4 threads by default) on a free loopback port serving bench/wsgi_bench.py: Vigil plus
one trivial Django view (GET /bench/ping/), so the figure and its baseline go through
the same server, workers and middleware. The server runs as in production past one
machine, on PostgreSQL and Redis (--redis; an empty value runs it without Redis), and a
flusher process adds the repeats buffered in Redis to the database every --flush-every
seconds, as beat's task does. A load generator in this process (asyncio, one connection
per request, as sync workers close each one) then alternates rounds of

- baseline: GET /bench/ping/ (no database), and
- alerts: real Alertmanager webhooks (the firing fixture, version 4, one alert each):
  mostly repeats of fingerprints Vigil already knows (the dedup path), and 5% new ones
  that join their group's open incident (Alertmanager resends every firing alert of a
  group with each notification of it, so most alerts it sends are repeats),
- repeats: only repeats of known fingerprints, for the floor's goal (bench/_floor.py),
- with --compare, the same alerts to a second gunicorn without Redis, where every
  repeat is written to the database in the request,

each bounded in time and count. Besides rates it reports the server side's CPU per request
in each phase (gunicorn's workers, the flusher, the database's backends, Redis), which busy
neighbours disturb far less than rates. At the end it flushes the buffer and checks the
database: one incident per group, one alert row per fingerprint, and every accepted webhook
counted exactly once. The last line printed is JSON: alerts_per_s, baseline_per_s, ratio,
errors, floor_* (the trivial view's req/s and CPU per request by process, and the repeats'
ratio to it: floor_ratio, goal >= 0.8 by CPU, issue #23) and more.
"""

import argparse
import asyncio
import copy
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._floor import floor_report

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "incidents" / "integrations" / "fixtures" / "alertmanager" / "firing.json"
GUNICORN = Path(sys.executable).parent / "gunicorn"
PING_PATH = "/bench/ping/"
GOAL_ALERTS_PER_S = 500
GOAL_RATIO = 0.5
GOAL_FLOOR = 0.8  # issue #23: a repeat costs the server at most 1/0.8 of the trivial view's CPU


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default="vigil_bench_alerts")
    # Its keys are prefixed with the database's name, and cleared at the start.
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="Redis URL; empty: no Redis")
    parser.add_argument("--flush-every", type=float, default=1.0, help="seconds between flushes of the buffer")
    parser.add_argument("--compare", action="store_true", help="also measure a server without Redis")
    parser.add_argument("--flusher", action="store_true", help=argparse.SUPPRESS)  # the flusher process itself
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


def recreate_database(server_url: str, name: str, template: str | None = None) -> str:
    """A fresh database NAME, empty or a copy of TEMPLATE (a migrated one: migrate then has nothing to do)."""
    drop_database(server_url, name)
    _admin(server_url, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return f"{server_url.rstrip('/')}/{name}"


def server_environment(database_url: str, redis_url: str, port: int, var_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1",
        VIGIL_BASE_URL=f"http://127.0.0.1:{port}",
        VIGIL_VAR_DIR=var_dir,
        LOG_LEVEL="WARNING",
        # Benches probe and post only to servers they start on loopback (vigil.net refuses it by default).
        VIGIL_PROBE_ALLOWED_NETWORKS="127.0.0.0/8,::1/128",
        VIGIL_OUTBOUND_ALLOWED_NETWORKS="127.0.0.0/8,::1/128",
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
    from incidents.integrations.buffer import repeat_buffer
    from incidents.models import Integration

    if repeat_buffer() is not None:
        repeat_buffer().clear()
    return Integration.objects.create(name="bench", kind=Integration.Kind.ALERTMANAGER)


def start_flusher(every: float, env: dict) -> subprocess.Popen:
    """The flusher process: what beat's flush task does, every EVERY seconds."""
    command = [sys.executable, __file__, "--flusher", "--flush-every", str(every)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)


def run_flusher(every: float) -> None:
    """Flush until terminated, then print what was flushed and the time it took, as JSON."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigil.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from incidents.integrations.buffer import flush_repeats

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    flushes = repeats = 0
    busy = 0.0
    try:
        while True:
            started = time.perf_counter()
            repeats += flush_repeats().added
            busy += time.perf_counter() - started
            flushes += 1
            time.sleep(every)
    finally:
        print(json.dumps({"flushes": flushes, "repeats": repeats, "seconds": round(busy, 3)}), flush=True)


def stop_flusher(flusher: subprocess.Popen) -> dict:
    flusher.terminate()
    out, _ = flusher.communicate(timeout=30)
    return json.loads(out.strip().splitlines()[-1]) if out.strip() else {}


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


def wait_until_serving(port: int, process: subprocess.Popen, log_path: Path, timeout: float = 90) -> None:
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


class ServerCPU:
    """CPU seconds used by the server side: gunicorn's workers, the flusher, the PostgreSQL
    backends of the bench database and the Redis server.

    Steadier than rates on a shared machine: busy neighbours slow requests down but hardly
    change the CPU each takes. Redis may serve others too, which only counts against alerts.
    """

    def __init__(self, args, servers: "Servers", flusher: subprocess.Popen | None):
        self.masters = {process.pid for process in servers.processes}
        self.extra = {flusher.pid: "flusher"} if flusher else {}
        self.database = args.database
        self.admin = _admin_connection(args.postgres)
        if args.redis:
            import redis

            self.extra[int(redis.Redis.from_url(args.redis).info("server")["process_id"])] = "redis"

    def pids(self) -> dict[int, str]:
        """Each process to count, and what it is."""
        pids = dict(self.extra)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) in self.masters:
                    pids[int(stat.parent.name)] = "gunicorn"
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
        with self.admin.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database])
            pids.update((pid, "postgres") for (pid,) in cursor.fetchall())
        return pids

    def snapshot(self) -> dict[int, tuple[str, float]]:
        ticks = os.sysconf("SC_CLK_TCK")
        used = {}
        for pid, what in self.pids().items():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[pid] = (what, (int(fields[11]) + int(fields[12])) / ticks)  # utime + stime
        return used

    @staticmethod
    def between(before: dict, after: dict) -> dict[str, float]:
        """CPU seconds by kind of process."""
        spent: dict[str, float] = {}
        for pid, (what, seconds) in after.items():
            spent[what] = spent.get(what, 0.0) + seconds - before.get(pid, (what, 0.0))[1]
        return spent


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
        # Phases measured without CPU figures (bench/heartbeats.py) have no "cpu".
        "cpu_ms": sum(sum(p.get("cpu", {}).values()) for p in phases) / ok * 1000 if ok else None,
        "cpu_ms_by": {
            what: sum(p.get("cpu", {}).get(what, 0.0) for p in phases) / ok * 1000 if ok else None
            for what in sorted({what for p in phases for what in p.get("cpu", {})})
        },
    }


# --- Checks ----------------------------------------------------------------------------------


def flush_all() -> bool:
    """Add every buffered repeat to the database (a no-op without Redis). False if some were left."""
    from incidents.integrations.buffer import flush_repeats

    for _ in range(5):
        flushed = flush_repeats()
        if flushed.complete and not flushed.added:
            return True
    return False


def check_database(integration, groups: int, expected_alert_rows: int, accepted: int) -> dict:
    from django.db import connection
    from django.db.models import Sum

    from incidents.models import Alert, Incident

    connection.close()  # a fresh connection after the load
    flushed = flush_all()
    incidents = Incident.objects.count()
    rows = Alert.objects.filter(integration=integration).count()
    counted = Alert.objects.filter(integration=integration).aggregate(n=Sum("received_count"))["n"] or 0
    return {
        "incidents": incidents,
        "alert_rows": rows,
        "received_total": counted,
        "consistent": flushed and incidents == groups and rows == expected_alert_rows and counted == accepted,
    }


# --- Main ------------------------------------------------------------------------------------


class Servers:
    """gunicorn as configured (PORT), and with --compare a second one without Redis (DB_PORT)."""

    def __init__(self, args, database_url: str, var_dir: str):
        self.port, self.db_port = free_port(), (free_port() if args.compare else None)
        self.env = server_environment(database_url, args.redis, self.port, var_dir)
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        self.args = args

    def start(self) -> None:
        ports = [(self.port, self.env)]
        if self.db_port:
            ports.append((self.db_port, {k: v for k, v in self.env.items() if k != "REDIS_URL"}))
        for port, env in ports:
            log_path = Path(self.env["VIGIL_VAR_DIR"]) / f"gunicorn-{port}.log"
            self.processes.append(start_gunicorn(port, self.args.workers, self.args.threads, env, log_path))
            self.logs.append(log_path)
        for (port, _), process, log_path in zip(ports, self.processes, self.logs, strict=True):
            wait_until_serving(port, process, log_path)

    def stop(self) -> None:
        for server in self.processes:
            server.terminate()
        for server in self.processes:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def measure(args, servers: Servers, integration, cpu: ServerCPU) -> dict:
    """Seed, warm up, then alternate the measured phases. Returns the phases and what was accepted."""
    port, concurrency = servers.port, args.concurrency

    def phase(to_port: int, next_request) -> dict:
        before = cpu.snapshot()
        result = asyncio.run(load(to_port, next_request, args.seconds, args.max_requests, concurrency))
        result["cpu"] = cpu.between(before, cpu.snapshot())
        return result

    path = integration.get_ingest_path()
    bodies = AlertBodies(args.groups)
    mix = AlertMix(port, path, bodies, args.known, args.new_fraction)
    ping = get_request(port, PING_PATH)
    # Every known fingerprint once: these open one incident per group and are the repeats below.
    seeding = iter(mix.known)
    seeded = asyncio.run(load(port, lambda: next(seeding, None), 120, len(mix.known), concurrency))
    if seeded["errors"]:
        print(f"seeding errors: {seeded['errors']}\n{servers.logs[0].read_text()[-2000:]}")
    # Warm every worker on each path (imports, connections) before measuring.
    asyncio.run(load(port, lambda: ping, 1.0, 10_000, concurrency))
    warm = asyncio.run(load(port, mix, 1.0, 10_000, concurrency))
    db_mix = None
    if servers.db_port:
        db_mix = AlertMix(servers.db_port, path, bodies, args.known, args.new_fraction, seed=11)
        db_mix.next_new += 1_000_000  # new alerts of its own, never the other mix's
        warm_db = asyncio.run(load(servers.db_port, db_mix, 1.0, 10_000, concurrency))
        warm["ok"] += warm_db["ok"]
        warm["errors"].update({f"db {k}": v for k, v in warm_db["errors"].items()})
    repeats = AlertMix(port, path, bodies, args.known, 0.0, seed=13)
    phases = {"baseline": [], "alerts": [], "repeats": [], "db_alerts": []}
    accepted = seeded["ok"] + warm["ok"]
    for round_ in range(1, args.rounds + 1):
        phases["baseline"].append(phase(port, lambda: ping))
        phases["alerts"].append(phase(port, mix))
        phases["repeats"].append(phase(port, repeats))
        line = f"round {round_}: baseline {_rate(phases['baseline'][-1]):.0f} req/s, "
        line += f"alerts {_rate(phases['alerts'][-1]):.0f} webhooks/s, repeats {_rate(phases['repeats'][-1]):.0f}/s"
        if db_mix is not None:
            phases["db_alerts"].append(phase(servers.db_port, db_mix))
            line += f", without Redis {_rate(phases['db_alerts'][-1]):.0f} webhooks/s"
        print(line)
    accepted += sum(p["ok"] for p in phases["alerts"] + phases["repeats"] + phases["db_alerts"])
    new_sent = mix.new_sent + (db_mix.new_sent if db_mix else 0)
    setup_errors = sum(seeded["errors"].values()) + sum(warm["errors"].values())
    return {"phases": phases, "accepted": accepted, "new_sent": new_sent, "setup_errors": setup_errors}


def drop_bench_data(args) -> None:
    """Empty the repeat buffer in Redis and drop the bench's database (bench/compat.py too)."""
    from django.db import connections

    from incidents.integrations.buffer import repeat_buffer

    if repeat_buffer() is not None:
        repeat_buffer().clear()
    connections.close_all()
    drop_database(args.postgres, args.database)


def _rate(phase: dict) -> float:
    return phase["ok"] / phase["elapsed"] if phase["elapsed"] else 0.0


def main() -> int:
    args = parse_args()
    if args.flusher:
        run_flusher(args.flush_every)
        return 0
    t0 = time.monotonic()
    database_url = recreate_database(args.postgres, args.database)
    var_dir = tempfile.mkdtemp(prefix="vigil-bench-alerts-")
    servers = Servers(args, database_url, var_dir)
    integration = setup_django(servers.env)
    from django.db import connection

    connection.close()
    flusher = start_flusher(args.flush_every, servers.env) if args.redis else None
    try:
        servers.start()
        print(
            f"gunicorn: {args.workers} workers x {args.threads} threads on 127.0.0.1:{servers.port}, "
            f"{'Redis ' + args.redis + f', flushed every {args.flush_every:g} s' if args.redis else 'without Redis'}; "
            f"concurrency {args.concurrency}; {args.rounds} rounds of {args.seconds:g} s each; "
            f"setup took {time.monotonic() - t0:.1f} s"
        )
        run = measure(args, servers, integration, ServerCPU(args, servers, flusher))
    finally:
        servers.stop()
        flushes = stop_flusher(flusher) if flusher else {}

    # A new alert that failed (an error) may or may not have its row: count rows as sent.
    check = check_database(integration, args.groups, args.known + run["new_sent"], run["accepted"])
    phases = run["phases"]
    base, ingest = summarise(phases["baseline"]), summarise(phases["alerts"])
    ratio = ingest["per_s"] / base["per_s"] if base["per_s"] else 0.0
    errors = ingest["errors"] + run["setup_errors"]
    db_path = summarise(phases["db_alerts"]) if phases["db_alerts"] else None
    print(
        f"baseline (trivial Django view): {base['per_s']:.0f} req/s, p50 {base['p50_ms']:.1f} ms, "
        f"errors {base['errors']}"
    )
    print(
        f"alerts (Alertmanager webhooks, 1 alert each, {args.new_fraction:.0%} new): {ingest['per_s']:.0f} alerts/s, "
        f"p50 {ingest['p50_ms']:.1f} ms, p99 {ingest['p99_ms']:.1f} ms, errors {errors}"
    )
    print(f"ratio alerts/baseline: {ratio:.2f}")
    cpu_ratio = base["cpu_ms"] / ingest["cpu_ms"] if ingest["cpu_ms"] else 0.0
    print(
        f"server CPU per request (workers, flusher, PostgreSQL, Redis): baseline {base['cpu_ms']:.2f} ms, "
        f"alerts {ingest['cpu_ms']:.2f} ms; ratio {cpu_ratio:.2f}"
    )
    for name, phase in (("baseline", base), ("alerts", ingest)):
        print(f"  {name}: " + ", ".join(f"{what} {ms:.2f} ms" for what, ms in phase["cpu_ms_by"].items()))
    if db_path:
        errors += db_path["errors"]
        print(
            f"without Redis (every repeat an UPDATE): {db_path['per_s']:.0f} alerts/s, "
            f"p50 {db_path['p50_ms']:.1f} ms, errors {db_path['errors']}, "
            f"ratio {db_path['per_s'] / base['per_s']:.2f}; server CPU {db_path['cpu_ms']:.2f} ms a request, "
            f"ratio {base['cpu_ms'] / db_path['cpu_ms']:.2f}"
        )
    floor = floor_report("repeats", base, summarise(phases["repeats"]), GOAL_FLOOR)
    if flushes:
        print(f"flusher: {flushes['flushes']} flushes added {flushes['repeats']} repeats in {flushes['seconds']} s")
    print(
        f"database after the run: {check['incidents']} incidents for {args.groups} groups, "
        f"{check['alert_rows']} alert rows, {check['received_total']} receipts counted for {run['accepted']} accepted: "
        f"{'consistent' if check['consistent'] else 'INCONSISTENT'}"
    )
    met = ingest["per_s"] >= GOAL_ALERTS_PER_S and ratio >= GOAL_RATIO
    print(f"goal (>= {GOAL_ALERTS_PER_S} alerts/s and ratio >= {GOAL_RATIO}): {'met' if met else 'NOT met'}")
    if not args.keep_db:
        drop_bench_data(args)
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
        "alerts_cpu_ms": round(ingest["cpu_ms"], 3),
        "baseline_cpu_ms": round(base["cpu_ms"], 3),
        "cpu_ratio": round(cpu_ratio, 3),
        "alerts_measured": ingest["ok"],
        "redis": bool(args.redis),
        "flush_every_s": args.flush_every if args.redis else None,
        "flush_seconds": flushes.get("seconds"),
        "db_path_alerts_per_s": round(db_path["per_s"], 1) if db_path else None,
        "db_path_ratio": round(db_path["per_s"] / base["per_s"], 3) if db_path else None,
        "db_path_cpu_ratio": round(base["cpu_ms"] / db_path["cpu_ms"], 3) if db_path else None,
        "new_fraction": args.new_fraction,
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
    print(json.dumps(result))
    return 0 if check["consistent"] else 1


if __name__ == "__main__":
    sys.exit(main())
