"""PagerDuty-compatible ingestion: Events API v2 events per second, against Vigil's native Alertmanager webhook.

    .venv/bin/python bench/compat.py [--quick]

The same machinery as bench/alerts.py, imported from it: a fresh PostgreSQL database
(vigil_bench_compat), gunicorn (3 workers of 4 threads) serving bench/wsgi_bench.py on a free
loopback port, with Redis (DB 14 by default) and a flusher process adding the buffered repeats to
the database every --flush-every seconds, the asyncio load generator, the server-side CPU
accounting and the database check. Two integrations are made through the ORM, one of kind
alertmanager and one of kind pagerduty, and the load alternates, round by round (the order swapped
each round), between

- native: Alertmanager webhooks to the alertmanager integration's URL, exactly as bench/alerts.py
  sends them (the firing fixture, one alert each), and
- compat: PagerDuty Events API v2 triggers, `POST /v2/enqueue` with `routing_key` the pagerduty
  integration's token, shaped as Alertmanager's pagerduty receiver sends them
  (incidents/integrations/fixtures/pagerduty/alertmanager/trigger.json),

with the same mix in both: 95% repeats of known alerts (fingerprints / dedup_keys), 5% new ones
joining their group's open incident (groupKey / payload.group). Each is answered 200 (native) or
202 (PagerDuty); anything else is an error. At the end the buffer is flushed and the database
checked for each integration: one incident per group, one alert row per key sent, every accepted
request counted exactly once. The last line printed is JSON: events_per_s, native_per_s, ratio
(goal >= 0.9), errors, cpu per request of each, consistent, goal_met and more.
"""

import argparse
import asyncio
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.alerts import (  # noqa: E402
    AlertBodies,
    AlertMix,
    ServerCPU,
    Servers,
    drop_bench_data,
    flush_all,
    load,
    recreate_database,
    setup_django,
    start_flusher,
    stop_flusher,
    summarise,
)

PD_FIXTURE = ROOT / "incidents" / "integrations" / "fixtures" / "pagerduty" / "alertmanager" / "trigger.json"
ENQUEUE_PATH = "/v2/enqueue"
GOAL_RATIO = 0.9
ACCEPTED = (200, 202)  # the native webhook answers 200, PagerDuty's API 202


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default="vigil_bench_compat")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="Redis URL (its Vigil keys are cleared)")
    parser.add_argument("--flush-every", type=float, default=1.0, help="seconds between flushes of the buffer")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (over 1: gthread workers)")
    parser.add_argument("--concurrency", type=int, default=12, help="requests in flight")
    parser.add_argument("--seconds", type=float, help="length of each measured phase")
    parser.add_argument("--rounds", type=int, help="native/compat rounds, the order swapped each round")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap on requests per phase")
    parser.add_argument("--groups", type=int, default=20, help="alert groups (one incident each, per integration)")
    parser.add_argument("--known", type=int, default=400, help="alerts of each kind sent before measuring")
    parser.add_argument("--new-fraction", type=float, default=0.05, help="share of measured alerts never seen before")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    args.seconds = args.seconds or (5.0 if args.quick else 10.0)
    args.rounds = args.rounds or (2 if args.quick else 4)
    args.compare = False  # bench.alerts.Servers: one server, with Redis
    return args


class PagerDutyBodies:
    """Events API v2 triggers from the real fixture (Alertmanager's pagerduty receiver), in GROUPS groups."""

    def __init__(self, groups: int, routing_key: str):
        self.template = json.loads(PD_FIXTURE.read_text())["body"]
        self.template["routing_key"] = routing_key
        self.groups = groups

    def body(self, n: int) -> bytes:
        event = copy.deepcopy(self.template)
        alertname, instance = f"BenchProbeDown{n % self.groups}", f"10.0.{n // 250}.{n % 250}:9100"
        event["dedup_key"] = f"{n:016x}"
        payload = event["payload"]
        payload["summary"] = f"[FIRING:1] {alertname} ({instance} blackbox critical)"
        payload["group"] = alertname  # the group's incident, as groupKey is for the native webhook
        payload["custom_details"]["firing"] = (
            payload["custom_details"]["firing"].replace("HighErrorRate", alertname).replace("api-1:9100", instance)
        )
        return json.dumps(event).encode()


def run_load(port: int, next_request, seconds: float, max_requests: int, concurrency: int) -> dict:
    """bench.alerts.load, with 202 (PagerDuty's "Event processed") counted as accepted like 200."""
    result = asyncio.run(load(port, next_request, seconds, max_requests, concurrency))
    for status in ACCEPTED:
        if status != 200:
            result["ok"] += result["errors"].pop(status, 0)
    return result


def measure(args, servers: Servers, native_integration, pd_integration, cpu: ServerCPU) -> dict:
    port, concurrency = servers.port, args.concurrency
    native_path = native_integration.get_ingest_path()
    native = AlertMix(port, native_path, AlertBodies(args.groups), args.known, args.new_fraction)
    compat = AlertMix(
        port, ENQUEUE_PATH, PagerDutyBodies(args.groups, pd_integration.token), args.known, args.new_fraction, seed=11
    )
    mixes = {"native": native, "compat": compat}
    accepted = dict.fromkeys(mixes, 0)
    setup_errors: dict[str, int] = {}
    for name, mix in mixes.items():
        # Every known alert once (one incident per group), then warm every worker on this path.
        seeding = iter(mix.known)
        seeded = run_load(port, lambda seeding=seeding: next(seeding, None), 120, len(mix.known), concurrency)
        warm = run_load(port, mix, 1.0, 10_000, concurrency)
        accepted[name] += seeded["ok"] + warm["ok"]
        for status, n in [*seeded["errors"].items(), *warm["errors"].items()]:
            setup_errors[f"{name} {status}"] = setup_errors.get(f"{name} {status}", 0) + n
    if setup_errors:
        print(f"setup errors: {setup_errors}\n{servers.logs[0].read_text()[-2000:]}")

    phases = {"native": [], "compat": []}
    for round_ in range(1, args.rounds + 1):
        order = ("native", "compat") if round_ % 2 else ("compat", "native")
        for name in order:
            before = cpu.snapshot()
            result = run_load(port, mixes[name], args.seconds, args.max_requests, concurrency)
            result["cpu"] = cpu.between(before, cpu.snapshot())
            phases[name].append(result)
            accepted[name] += result["ok"]
        rates = {name: phases[name][-1]["ok"] / phases[name][-1]["elapsed"] for name in phases}
        print(
            f"round {round_}: native {rates['native']:.0f} webhooks/s, compat {rates['compat']:.0f} events/s "
            f"({rates['compat'] / rates['native']:.2f})"
        )
    return {
        "phases": phases,
        "accepted": accepted,
        "sent_keys": {name: args.known + mix.new_sent for name, mix in mixes.items()},
        "setup_errors": sum(setup_errors.values()),
    }


def check_database(integrations: dict, groups: int, sent_keys: dict, accepted: dict) -> dict:
    """bench.alerts.check_database, per integration: incidents by their dedup key's integration prefix."""
    from django.db import connection
    from django.db.models import Sum

    from incidents.models import Alert, Incident

    connection.close()  # a fresh connection after the load
    flushed = flush_all()
    check = {"flushed": flushed, "consistent": flushed}
    for name, integration in integrations.items():
        alerts = Alert.objects.filter(integration=integration)
        found = {
            "incidents": Incident.objects.filter(dedup_key__startswith=f"integration:{integration.pk}:").count(),
            "alert_rows": alerts.count(),
            "received_total": alerts.aggregate(n=Sum("received_count"))["n"] or 0,
        }
        # A new alert that failed (an error) may or may not have its row: rows are counted as sent.
        ok = (
            found["incidents"] == groups
            and found["alert_rows"] == sent_keys[name]
            and found["received_total"] == accepted[name]
        )
        check[name] = {**found, "accepted": accepted[name], "consistent": ok}
        check["consistent"] = check["consistent"] and ok
    check["consistent"] = check["consistent"] and Incident.objects.count() == groups * len(integrations)
    return check


def main() -> int:
    args = parse_args()
    t0 = time.monotonic()
    database_url = recreate_database(args.postgres, args.database)
    servers = Servers(args, database_url, tempfile.mkdtemp(prefix="vigil-bench-compat-"))
    native_integration = setup_django(servers.env)  # migrates, clears the buffer, makes the alertmanager one
    from django.db import connection

    from incidents.models import Integration

    pd_integration = Integration.objects.create(name="bench-pagerduty", kind=Integration.Kind.PAGERDUTY)
    connection.close()
    flusher = start_flusher(args.flush_every, servers.env)
    try:
        servers.start()
        print(
            f"gunicorn: {args.workers} workers x {args.threads} threads on 127.0.0.1:{servers.port}, Redis "
            f"{args.redis}, flushed every {args.flush_every:g} s; concurrency {args.concurrency}; "
            f"{args.rounds} rounds of 2 x {args.seconds:g} s; setup took {time.monotonic() - t0:.1f} s"
        )
        run = measure(args, servers, native_integration, pd_integration, ServerCPU(args, servers, flusher))
    finally:
        servers.stop()
        flushes = stop_flusher(flusher)

    integrations = {"native": native_integration, "compat": pd_integration}
    check = check_database(integrations, args.groups, run["sent_keys"], run["accepted"])
    native, compat = summarise(run["phases"]["native"]), summarise(run["phases"]["compat"])
    ratio = compat["per_s"] / native["per_s"] if native["per_s"] else 0.0
    errors = compat["errors"] + native["errors"] + run["setup_errors"]
    cpu_ratio = native["cpu_ms"] / compat["cpu_ms"] if compat["cpu_ms"] else 0.0
    for name, phase, unit in (("native", native, "webhooks/s"), ("compat", compat, "events/s")):
        print(
            f"{name}: {phase['per_s']:.0f} {unit}, p50 {phase['p50_ms']:.1f} ms, p99 {phase['p99_ms']:.1f} ms, "
            f"errors {phase['errors']} {phase['error_codes'] or ''}; server CPU {phase['cpu_ms']:.2f} ms a request ("
            + ", ".join(f"{what} {ms:.2f}" for what, ms in phase["cpu_ms_by"].items())
            + ")"
        )
    print(f"ratio compat/native: {ratio:.2f} by rate, {cpu_ratio:.2f} by CPU per request")
    print(
        f"flusher: {flushes.get('flushes')} flushes added {flushes.get('repeats')} repeats "
        f"in {flushes.get('seconds')} s"
    )
    for name in integrations:
        c = check[name]
        print(
            f"database, {name}: {c['incidents']} incidents for {args.groups} groups, {c['alert_rows']} alert rows "
            f"for {run['sent_keys'][name]} keys, {c['received_total']} receipts counted for {c['accepted']} accepted"
        )
    print(f"database: {'consistent' if check['consistent'] else 'INCONSISTENT'}")
    met = ratio >= GOAL_RATIO and errors == 0 and check["consistent"]
    print(f"goal (compat >= {GOAL_RATIO} x native, 0 errors, consistent): {'met' if met else 'NOT met'}")
    if not args.keep_db:
        drop_bench_data(args)
    result = {
        "bench": "compat",
        "events_per_s": round(compat["per_s"], 1),
        "native_per_s": round(native["per_s"], 1),
        "ratio": round(ratio, 3),
        "errors": errors,
        "events_p50_ms": round(compat["p50_ms"], 2),
        "events_p99_ms": round(compat["p99_ms"], 2),
        "native_p50_ms": round(native["p50_ms"], 2),
        "native_p99_ms": round(native["p99_ms"], 2),
        "events_cpu_ms": round(compat["cpu_ms"], 3),
        "native_cpu_ms": round(native["cpu_ms"], 3),
        "cpu_ratio": round(cpu_ratio, 3),
        "events_measured": compat["ok"],
        "native_measured": native["ok"],
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
