"""HTTP checks per second: Vigil's scheduler and probe workers against Prometheus' blackbox exporter.

Also a plain sequential loop, all on the same fast local target and the same cores.

    .venv/bin/python bench/probes.py [--quick]

Needs PostgreSQL (127.0.0.1:5432), Redis (its db 7 by default) and prometheus-blackbox-exporter.
It starts the fast target of bench/probe_engine_quick.py (an asyncio server on uvloop with a
backlog of 4096, in its own process), creates N HTTP monitors pointing at it, and runs Vigil
as bench/_common.py describes: real Celery workers on the probe queue and the real dispatcher
every second. Then:

1. Warm-up: every monitor checked once (each goes from pending to up).
2. Schedule: the N monitors' first due times spread evenly over one interval, then run for
   --seconds. The lag of a check is its checked_at (when its probe started) minus the due time
   it served, which is the monitor's next_check_at when the dispatcher claimed it (noted from
   each batch it queues): the wait for the dispatcher's next beat, the queue, and the worker's
   database reads all count. A monitor keeps its cadence from its due times (next due = due +
   interval), so the window holds a known number of due times: those that got no check (a
   scheduler that falls an interval behind skips beats) are counted as missed, so the lag
   figures never hide checks that did not run.
3. Rounds, side by side on the same target, each N probes:
   - vigil: all N monitors due at once; checks/s is N divided by the time from the dispatcher's
     claim until every monitor has its result row in the database;
   - blackbox: N GET /probe?target=...&module=http_2xx through the exporter, at most
     --blackbox-concurrency at a time from an aiohttp client here; it answers 200 even when a
     probe fails, so a probe counts only when its body says `probe_success 1`;
   - sequential: `requests.get` in a loop, a new connection each (at most --sequential-seconds).

Each round also reads the CPU time (user + system, /proc) of Vigil's probe worker processes
around its burst and of the exporter's process around its own: cpu_s_per_check and
blackbox_cpu_s_per_check (neither counts the database, the dispatcher or the aiohttp client).

The last line printed is JSON: checks_per_s, blackbox_checks_per_s, ratio_vs_blackbox,
sequential_checks_per_s, p95_lag_s (schedule phase), peak_mb (largest sum of the probe worker
processes' resident sets over the whole run) and more.
"""

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    VigilMonitoring,
    add_arguments,
    cpu_seconds,
    free_port,
    percentile,
    start_target,
    stop_process,
)
from bench.probe_engine_quick import _pool, _uvloop_run

BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
BLACKBOX_CONFIG = "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n"
GOAL_LAG_S = 2.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--monitors", type=int, help="HTTP monitors (default 10000, quick 2000)")
    parser.add_argument("--interval", type=int, help="their interval in seconds (default 20, quick 10)")
    parser.add_argument("--seconds", type=float, help="length of the schedule phase (default 60, quick 10)")
    parser.add_argument("--rounds", type=int, help="vigil/blackbox/sequential rounds (default 3, quick 2)")
    parser.add_argument("--concurrency", type=int, default=2, help="probe worker processes (Celery prefork)")
    parser.add_argument("--batch-size", type=int, help="monitors per probe task (default: VIGIL_PROBE_BATCH_SIZE)")
    parser.add_argument("--blackbox-concurrency", type=int, default=100, help="exporter probes in flight")
    parser.add_argument("--sequential-seconds", type=float, help="cap on each sequential round (default 3, quick 2)")
    add_arguments(parser, database="vigil_bench")
    args = parser.parse_args()
    args.monitors = args.monitors or (2000 if args.quick else 10_000)
    args.interval = args.interval or (10 if args.quick else 20)
    args.seconds = args.seconds or (10.0 if args.quick else 60.0)
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.sequential_seconds = args.sequential_seconds or (2.0 if args.quick else 3.0)
    return args


# --- Vigil ------------------------------------------------------------------------------------


def create_monitors(url: str, count: int, interval: int) -> None:
    from monitoring.models import Monitor

    Monitor.objects.bulk_create(
        (Monitor(name=f"bench {i}", target=url, interval_seconds=interval, timeout_seconds=5) for i in range(count)),
        batch_size=2000,
    )


def results_since(start) -> int:
    from monitoring.models import CheckResult

    return CheckResult.objects.filter(checked_at__gte=start).count()


def monitors_checked_since(start) -> int:
    from monitoring.models import CheckResult

    return CheckResult.objects.filter(checked_at__gte=start).values("monitor_id").distinct().count()


def wait_until_checked(vigil: VigilMonitoring, start, count: int, timeout: float) -> None:
    """Returns once COUNT monitors have a result checked since START."""
    deadline = time.perf_counter() + timeout
    while (checked := monitors_checked_since(start)) < count:
        vigil.check_alive()
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {checked} of {count} monitors checked after {timeout:.0f} s")
        time.sleep(0.1)


def set_next_check(when, spacing: float = 0.0) -> None:
    """Every monitor due at WHEN, the Nth (by id) N * SPACING seconds later.

    The rows are locked in id order first, as record_observations locks them: a plain UPDATE of
    all rows takes them in the table's order and can deadlock with a batch being recorded.
    """
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM monitoring_monitor ORDER BY id FOR UPDATE")
        cursor.execute(
            "UPDATE monitoring_monitor AS m SET next_check_at = %s::timestamptz + o.rank * %s * interval '1 second' "
            "FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rank FROM monitoring_monitor) AS o "
            "WHERE m.id = o.id",
            [when, spacing],
        )


def stop_schedule(vigil: VigilMonitoring) -> None:
    """No monitor due any more; returns once the batches in flight have written their results."""
    from django.utils import timezone

    set_next_check(None)
    moment = timezone.now() - timedelta(seconds=30)
    seen = -1
    while (now := results_since(moment)) != seen:
        vigil.check_alive()
        seen = now
        time.sleep(1.0)
    set_next_check(None)  # batches that finished meanwhile set their next check


def burst(vigil: VigilMonitoring, count: int) -> float:
    """All monitors due at once; checks per second until every one has its result written.

    A burst longer than the interval sees monitors checked early in it come due again: those
    second checks take their share of the capacity but are not counted.
    """
    from django.utils import timezone

    from monitoring.dispatch import dispatch

    start = timezone.now()
    set_next_check(start)
    began = time.perf_counter()
    dispatch()  # claims at once, beside the beat thread (two dispatchers split the work)
    wait_until_checked(vigil, start, count, timeout=max(60, count / 50))
    elapsed = time.perf_counter() - began
    stop_schedule(vigil)
    return count / elapsed


def run_schedule(vigil: VigilMonitoring, args) -> dict:
    """Monitors due evenly over one interval, checked on their cadence for ARGS.seconds."""
    from django.utils import timezone

    from monitoring.models import CheckResult, Monitor

    start = timezone.now() + timedelta(seconds=1)
    set_next_check(start, spacing=args.interval / args.monitors)
    first_due = Monitor.objects.values_list("next_check_at", flat=True)
    end = start + timedelta(seconds=args.seconds)
    expected = sum(math.ceil((end - due).total_seconds() / args.interval) for due in first_due)
    dispatched_before, claimed_before = len(vigil.dispatcher.dispatched), len(vigil.dispatcher.claim_lags)
    # Dues just before the end are still served; later ones are left out below.
    time.sleep(max(0.0, (end - timezone.now()).total_seconds()) + GOAL_LAG_S + 1)
    stop_schedule(vigil)
    results = CheckResult.objects.filter(checked_at__gte=start).values_list("monitor_id", "checked_at")
    lags = match_due_times(vigil.dispatcher.dispatched[dispatched_before:], results, end.timestamp())
    claim_lags = vigil.dispatcher.claim_lags[claimed_before:]
    return {
        "checks": len(lags),
        "missed": expected - len(lags),
        "per_s": len(lags) / args.seconds,
        "p50_lag_s": percentile(lags, 0.5),
        "p95_lag_s": percentile(lags, 0.95),
        "max_lag_s": max(lags, default=0.0),
        "p95_claim_lag_s": percentile(claim_lags, 0.95),
    }


def match_due_times(dispatched, results, end: float) -> list[float]:
    """Lags (checked_at - due) of the checks due before END: a monitor's dues and its results,
    each in time order, pair up one to one."""
    dues, checks = defaultdict(list), defaultdict(list)
    for monitor_id, due in dispatched:
        if due < end:
            dues[monitor_id].append(due)
    for monitor_id, checked_at in results:
        checks[monitor_id].append(checked_at.timestamp())
    return [
        checked - due
        for monitor_id, monitor_dues in dues.items()
        for due, checked in zip(sorted(monitor_dues), sorted(checks[monitor_id]), strict=False)
    ]


# --- The others -------------------------------------------------------------------------------


def start_blackbox(config: Path) -> tuple[subprocess.Popen, int]:
    config.write_text(BLACKBOX_CONFIG)
    port = free_port()
    command = [BLACKBOX, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import requests

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/-/healthy", timeout=1).ok:
                return process, port
        except requests.ConnectionError:
            time.sleep(0.1)
    stop_process(process)
    raise RuntimeError("the blackbox exporter did not start")


def blackbox_burst(port: int, target: str, count: int, concurrency: int) -> tuple[float, int]:
    """COUNT probes through the exporter: (probes/s, failed probes)."""
    import aiohttp

    async def main():
        url = f"http://127.0.0.1:{port}/probe"
        params = {"target": target, "module": "http_2xx"}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

            async def one():
                async with session.get(url, params=params) as response:
                    body = await response.read()
                return 200 if b"\nprobe_success 1\n" in body else 0  # _pool counts the 200s

            return await _pool(count, concurrency, one)

    began = time.perf_counter()
    ok = _uvloop_run(main())
    return count / (time.perf_counter() - began), count - ok


def sequential(target: str, count: int, seconds: float) -> tuple[float, int]:
    """requests.get in a loop (each call its own session, so its own connection): (checks/s, failed)."""
    import requests

    done = ok = 0
    began = time.perf_counter()
    while done < count and time.perf_counter() - began < seconds:
        ok += requests.get(target, timeout=5).status_code == 200
        done += 1
    return done / (time.perf_counter() - began), done - ok


# --- Main -------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    t0 = time.monotonic()
    target, url = start_target()
    work_dir = Path(tempfile.mkdtemp(prefix="vigil-bench-probes-"))
    blackbox = None
    try:
        blackbox, blackbox_port = start_blackbox(work_dir / "blackbox.yml")
        extra_env = {"VIGIL_PROBE_BATCH_SIZE": str(args.batch_size)} if args.batch_size else {}
        with VigilMonitoring(args, concurrency=args.concurrency, extra_env=extra_env) as vigil:
            from django.conf import settings

            args.batch_size = settings.VIGIL_PROBE_BATCH_SIZE
            create_monitors(url, args.monitors, args.interval)
            print(
                f"{args.monitors} HTTP monitors at {args.interval} s on {url}; "
                f"{args.concurrency} probe worker processes, batches of {args.batch_size}; "
                f"setup took {time.monotonic() - t0:.1f} s",
                flush=True,
            )
            warm_up = burst(vigil, args.monitors)
            print(f"warm-up: every monitor checked once, {warm_up:.0f} checks/s", flush=True)
            schedule = run_schedule(vigil, args)
            print(
                f"schedule: {schedule['per_s']:.0f} checks/s for {args.monitors / args.interval:.0f} due per s, "
                f"lag p50 {schedule['p50_lag_s']:.2f} s, p95 {schedule['p95_lag_s']:.2f} s, "
                f"max {schedule['max_lag_s']:.2f} s (due -> claimed p95 {schedule['p95_claim_lag_s']:.2f} s), "
                f"missed {schedule['missed']}",
                flush=True,
            )
            rates, failed = compare(vigil, args, url, (blackbox.pid, blackbox_port))
            peak_mb = vigil.peak_mb
    finally:
        if blackbox is not None:
            stop_process(blackbox)
        stop_process(target)
        shutil.rmtree(work_dir)
    return report(args, schedule, rates, failed, peak_mb)


def compare(vigil: VigilMonitoring, args, url: str, blackbox: tuple[int, int]) -> tuple[dict, dict]:
    """Rounds of N checks by Vigil, by the blackbox exporter (PID, PORT) and sequentially: (rates, failures).
    RATES also holds each round's CPU seconds per check of Vigil's probe workers and of the exporter."""
    blackbox_pid, blackbox_port = blackbox
    workers = [worker.pid for worker in vigil.workers]
    rates = {"vigil": [], "blackbox": [], "sequential": [], "vigil_cpu": [], "blackbox_cpu": []}
    failed = {"blackbox": 0, "sequential": 0}
    for round_number in range(1, args.rounds + 1):
        cpu = cpu_seconds(workers)
        rates["vigil"].append(burst(vigil, args.monitors))
        rates["vigil_cpu"].append((cpu_seconds(workers) - cpu) / args.monitors)
        cpu = cpu_seconds([blackbox_pid])
        rate, bad = blackbox_burst(blackbox_port, url, args.monitors, args.blackbox_concurrency)
        rates["blackbox_cpu"].append((cpu_seconds([blackbox_pid]) - cpu) / args.monitors)
        rates["blackbox"].append(rate)
        failed["blackbox"] += bad
        rate, bad = sequential(url, args.monitors, args.sequential_seconds)
        rates["sequential"].append(rate)
        failed["sequential"] += bad
        figures = ", ".join(f"{name} {rates[name][-1]:.0f} checks/s" for name in ("vigil", "blackbox", "sequential"))
        vigil_ms, blackbox_ms = rates["vigil_cpu"][-1] * 1000, rates["blackbox_cpu"][-1] * 1000
        cpu = f"CPU per check: Vigil's workers {vigil_ms:.2f} ms, exporter {blackbox_ms:.2f} ms"
        print(f"round {round_number}: {figures}; {cpu}", flush=True)
    failed["vigil"] = vigil_failures()
    return rates, failed


def vigil_failures() -> int:
    from monitoring.models import CheckResult

    return CheckResult.objects.exclude(outcome=CheckResult.Outcome.UP).count()


def report(args, schedule: dict, rates: dict, failed: dict, peak_mb: float) -> int:
    medians = {name: statistics.median(values) for name, values in rates.items()}
    ratio_blackbox = medians["vigil"] / medians["blackbox"]
    ratio_sequential = medians["vigil"] / medians["sequential"]
    print(
        f"median of {args.rounds} rounds of {args.monitors} checks: Vigil {medians['vigil']:.0f} checks/s, "
        f"blackbox exporter {medians['blackbox']:.0f}, sequential requests {medians['sequential']:.0f}"
    )
    print(f"ratios: vs blackbox exporter {ratio_blackbox:.2f}, vs sequential {ratio_sequential:.1f}")
    print(
        f"CPU per check: Vigil's probe workers {medians['vigil_cpu'] * 1000:.3f} ms, "
        f"blackbox exporter {medians['blackbox_cpu'] * 1000:.3f} ms"
    )
    print(f"peak memory of the probe workers (sum of RSS): {peak_mb:.0f} MB; failed checks: {failed}")
    goals = {
        "ratio_vs_blackbox >= 1": ratio_blackbox >= 1,
        f"p95 lag < {GOAL_LAG_S:g} s with none missed": schedule["p95_lag_s"] < GOAL_LAG_S and not schedule["missed"],
    }
    for goal, met in goals.items():
        print(f"goal {goal}: {'met' if met else 'NOT met'}")
    result = {
        "bench": "probes",
        "checks_per_s": round(medians["vigil"], 1),
        "blackbox_checks_per_s": round(medians["blackbox"], 1),
        "ratio_vs_blackbox": round(ratio_blackbox, 3),
        "sequential_checks_per_s": round(medians["sequential"], 1),
        "cpu_s_per_check": round(medians["vigil_cpu"], 6),
        "blackbox_cpu_s_per_check": round(medians["blackbox_cpu"], 6),
        "ratio_vs_sequential": round(ratio_sequential, 2),
        "p95_lag_s": round(schedule["p95_lag_s"], 3),
        "p50_lag_s": round(schedule["p50_lag_s"], 3),
        "max_lag_s": round(schedule["max_lag_s"], 3),
        "scheduled_checks_per_s": round(schedule["per_s"], 1),
        "missed": schedule["missed"],
        "peak_mb": round(peak_mb, 1),
        "monitors": args.monitors,
        "interval": args.interval,
        "duration": args.seconds,
        "rounds": args.rounds,
        "worker_processes": args.concurrency,
        "batch_size": args.batch_size,
        "blackbox_concurrency": args.blackbox_concurrency,
        "failed": failed,
        "quick": args.quick,
        "goals_met": all(goals.values()),
    }
    print(json.dumps(result))
    return 0 if not any(failed.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
