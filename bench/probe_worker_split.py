"""Where a probe worker's time per check goes: the engine, the database, and what is left for Celery.

    .venv/bin/python bench/probe_worker_split.py [--monitors 2000] [--rounds 3] [--profile]

bench/probes.py measures the whole worker (Celery prefork processes fed by the dispatcher) against
blackbox exporter. This one runs the very functions a probe task runs (monitoring.batches), in this
process, batch by batch as the dispatcher cuts them (VIGIL_PROBE_BATCH_SIZE), against the same
fast local target, and times each step on the wall clock and in CPU (this process's, and the
PostgreSQL backend's, read from /proc):

- load: Monitor rows read and each monitor's probe config built (batches.probe_monitors' query);
- engine: vigil_probes.run_probes_sync on those configs (uvloop, aiohttp, the address guard);
- record: monitoring.recording.record_observations (lock, results, state machine, bulk writes).

Subtract load + engine + record from bench/probes.py's cpu_s_per_check (its workers' CPU per
check) for Celery's share. With --profile, cProfile's top functions of one round (engine and
record) are printed. The last line printed is JSON.
"""

import argparse
import cProfile
import gc
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DEFAULT_REDIS
from bench.alerts import drop_database, recreate_database, server_environment
from bench.probe_engine_quick import start_target

TICKS = os.sysconf("SC_CLK_TCK")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--freeze-alternate", action="store_true", help="rounds alternately after gc.freeze() and without"
    )
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of the last round")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default="vigil_bench_probe_split")
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="the shared counters' Redis, as the workers use it")
    return parser.parse_args()


def backend_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend (same machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class GcClock:
    """Seconds spent in the cyclic garbage collector (gc.callbacks), by generation."""

    def __init__(self):
        self.seconds, self.started = {0: 0.0, 1: 0.0, 2: 0.0}, 0.0
        gc.callbacks.append(self.callback)

    def callback(self, phase, info):
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self.started


class Clock:
    """Wall and CPU seconds (this process, the database backend) per step."""

    def __init__(self):
        self.wall, self.cpu, self.db = {}, {}, {}

    def step(self, name, fn, *args):
        wall, cpu, db = time.perf_counter(), time.process_time(), backend_cpu()
        value = fn(*args)
        self.db[name] = self.db.get(name, 0) + backend_cpu() - db
        self.cpu[name] = self.cpu.get(name, 0) + time.process_time() - cpu
        self.wall[name] = self.wall.get(name, 0) + time.perf_counter() - wall
        return value


def one_round(batches, clock: Clock) -> None:
    from django.conf import settings
    from django.utils import timezone

    from monitoring.models import Monitor
    from monitoring.recording import Observation, record_observations
    from vigil_probes import run_probes_sync

    for ids in batches:
        due = timezone.now()
        monitors = clock.step("load", lambda ids=ids: [(m.pk, m.probe()) for m in Monitor.objects.filter(pk__in=ids)])
        results = clock.step("engine", run_probes_sync, [p for _, p in monitors], settings.VIGIL_PROBE_CONCURRENCY)
        observations = [
            Observation(pk, str(r.state), r.checked_at, r.latency_ms, r.status_code, r.reason, due_at=due)
            for (pk, _), r in zip(monitors, results, strict=True)
        ]
        assert all(o.state == "up" for o in observations), observations[0]
        clock.step("record", record_observations, observations)


def main():
    args = parse_args()
    target, url = start_target()
    database_url = recreate_database(args.postgres, args.database)
    try:
        env = server_environment(database_url=database_url, redis_url=args.redis, port=8000, var_dir="/tmp")
        os.environ.update(env, DJANGO_SETTINGS_MODULE="vigil.settings")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from monitoring.models import Monitor

        Monitor.objects.bulk_create(
            Monitor(name=f"bench {i}", target=url, interval_seconds=10, timeout_seconds=5) for i in range(args.monitors)
        )
        ids = list(Monitor.objects.order_by("pk").values_list("pk", flat=True))
        size = settings.VIGIL_PROBE_BATCH_SIZE
        batches = [ids[start : start + size] for start in range(0, len(ids), size)]
        one_round(batches, Clock())  # warm-up: every monitor from pending to up
        per_check = {"wall": [], "cpu": [], "db": [], "gc": []}
        names = ("load", "engine", "record")
        for round_number in range(args.rounds):
            if args.freeze_alternate:  # odd rounds with the heap so far frozen, even rounds without
                gc.freeze() if round_number % 2 == 0 else gc.unfreeze()
            clock, collector = Clock(), GcClock()
            profile = cProfile.Profile() if args.profile and round_number == args.rounds - 1 else None
            if profile:
                profile.enable()
            one_round(batches, clock)
            if profile:
                profile.disable()
            for kind in ("wall", "cpu", "db"):
                per_check[kind].append({name: getattr(clock, kind)[name] / len(ids) * 1000 for name in names})
            shares = ", ".join(
                f"{name} {clock.wall[name] / len(ids) * 1000:.3f} ms wall / {clock.cpu[name] / len(ids) * 1000:.3f}"
                f" ms CPU (+{clock.db[name] / len(ids) * 1000:.3f} ms db)"
                for name in names
            )
            gc.callbacks.remove(collector.callback)
            collected = ", ".join(f"gen{g} {sec / len(ids) * 1000:.3f}" for g, sec in collector.seconds.items())
            frozen = f" (gc.freeze: {gc.get_freeze_count()} objects)" if gc.get_freeze_count() else ""
            print(f"round {round_number + 1}{frozen}, per check: {shares}; in the garbage collector (ms): {collected}")
            per_check["gc"].append(sum(collector.seconds.values()) / len(ids) * 1000)
        if args.profile:
            pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        medians = {
            f"{name}_{kind}_ms_per_check": round(statistics.median(r[name] for r in per_check[kind]), 4)
            for kind in ("wall", "cpu", "db")
            for name in names
        } | {"gc_ms_per_check": round(statistics.median(per_check["gc"]), 4)}
        from django.db import connection

        connection.close()
    finally:
        target.terminate()
        drop_database(args.postgres, args.database)
    print(json.dumps({"bench": "probe_worker_split", "monitors": args.monitors, "batch_size": size, **medians}))


if __name__ == "__main__":
    main()
