"""Probe agents' results ingested through gunicorn, against the probe worker recording the same locally.

    .venv/bin/python bench/agents.py [--quick] [--profile]

It makes a PostgreSQL database (vigil_bench_agents, dropped and made again), migrates it and
creates, through Vigil's own code, N agent locations (monitoring.locations.do_create_location,
which gives their tokens) and two sets of M HTTP monitors at a 30 s interval: the agents' set,
each monitor assigned to exactly one agent location, and the local set, run centrally. Then it
starts gunicorn (3 sync workers, as the Dockerfile) on a free loopback port, with its database
connections named so their PostgreSQL backends can be told apart, and a local recorder: a
process that records results as the probe worker does once its probes are done
(monitoring.recording.record_observations, in batches of VIGIL_PROBE_BATCH_SIZE).

1. Throughput, side by side. Each round is one interval's worth of results (every monitor once,
   all with the same checked_at, shaped by the agent's own vigil_agent.agent.as_json):
   - central: the N simulated agents push their monitors' results at once, each as the agent
     does (vigil_agent.client.VigilClient.push, batches of vigil_agent.agent.BATCH, one at a time);
   - local: the recorder records the same outcomes for the local set.
   Each side's CPU (user + system, /proc) is read around its burst: gunicorn's processes and
   their PostgreSQL backends, against the recorder and its backend. A warm-up round of each (every
   monitor from pending to up) comes first. ratio = central CPU per 1,000 results / local CPU per
   1,000 results (the probing itself, which both an agent and the probe worker do, is not counted).
2. Confirmation, at the agents' pace. A sample of the agents' monitors fails one check (one push
   round, not measured), so each is one failure short of failure_threshold (2 by default). Then
   every monitor is checked on its cadence (first checks spread over one interval) for --seconds:
   each agent pushes what it checked every --push-seconds (the agent's default), from its own
   random start, and the sample's checks are down again. A thread here reads the sample's state
   every 50 ms: confirm = when a monitor is seen down - the checked_at of its confirming check,
   split into waiting for the agent's next push and the ingest (push sent -> state visible).

With --profile, the view is profiled between the two phases, in this process (cProfile, Django's
test client, batches of the agents' results) beside record_observations alone on as many results,
and after the second, one push that confirms 20 monitors down (their incidents open in the request).

The last line printed is JSON: results_per_s, local_results_per_s, ratio, confirm_p95_s and more.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "agent"))  # the agent's own package, from the checkout

from vigil_agent import __version__ as AGENT_VERSION  # noqa: E402
from vigil_agent.agent import BATCH, as_json  # noqa: E402
from vigil_agent.client import VigilClient  # noqa: E402
from vigil_agent.config import Config  # noqa: E402

from bench._agents_profile import profile_ingest, profile_transitions  # noqa: E402
from bench._common import add_arguments, percentile, process_tree, purge_queues, stop_process  # noqa: E402
from bench.alerts import (  # noqa: E402
    _admin_connection,
    drop_database,
    free_port,
    recreate_database,
    server_environment,
    start_gunicorn,
    wait_until_serving,
)
from bench.heartbeats import cpu_seconds  # noqa: E402
from vigil_probes import ProbeResult, State  # noqa: E402

WEB_APP = "vigil-bench-web"  # application_name of gunicorn's PostgreSQL connections
GOAL_RATIO = 1.2
GOAL_CONFIRM_P95_S = 5.0
TARGET = "http://127.0.0.1:9/"  # never probed: no dispatcher runs


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, "vigil_bench_agents")
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--monitors", type=int, help="monitors per side (default 10000, quick 1000)")
    parser.add_argument("--agents", type=int, help="simulated agents (default 10, quick 4)")
    parser.add_argument("--interval", type=int, default=30, help="the monitors' interval, seconds")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--seconds", type=float, help="confirmation phase (default: one interval, quick 12)")
    parser.add_argument(
        "--push-seconds", type=float, default=Config.push_seconds, help="agents' push period (the agent's default)"
    )
    parser.add_argument("--failing", type=float, default=0.05, help="share of the agents' monitors that fail")
    parser.add_argument("--profile", action="store_true", help="profile the ingest in process afterwards")
    args = parser.parse_args()
    args.monitors = args.monitors or (1000 if args.quick else 10_000)
    args.agents = args.agents or (4 if args.quick else 10)
    args.seconds = args.seconds or (12.0 if args.quick else float(args.interval))
    return args


# --- Setup -----------------------------------------------------------------------------------


class Agent:
    def __init__(self, name: str, token: str):
        self.name, self.token, self.monitors = name, token, []


def setup_django(env: dict, args) -> tuple[list[Agent], list[int], list[int]]:
    """Migrate, make the locations and both sets of monitors: (agents, agents' monitor ids, local ids)."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigil.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from monitoring.locations import do_create_location
    from monitoring.models import Monitor
    from vigil.audit import SYSTEM

    call_command("migrate", verbosity=0)
    agents = []
    for n in range(args.agents):
        location, token = do_create_location(SYSTEM, f"agent-{n:02d}", region="bench")
        agents.append((location, Agent(location.name, token)))

    def monitors(prefix: str) -> list[int]:
        made = Monitor.objects.bulk_create(
            (
                Monitor(name=f"{prefix} {i}", target=TARGET, interval_seconds=args.interval)
                for i in range(args.monitors)
            ),
            batch_size=2000,
        )
        return [monitor.pk for monitor in made]

    remote, local = monitors("agent"), monitors("local")
    chosen = Monitor.locations.through
    rows = [chosen(monitor_id=pk, location_id=agents[i % args.agents][0].pk) for i, pk in enumerate(remote)]
    chosen.objects.bulk_create(rows, batch_size=5000)
    for i, pk in enumerate(remote):
        agents[i % args.agents][1].monitors.append(pk)
    return [agent for _, agent in agents], remote, local


def outcome(down: bool) -> ProbeResult:
    """What a probe of the bench's target reports; checked_at is set by the caller's as_json."""
    if down:
        return ProbeResult(ok=False, state=State.DOWN, latency_ms=1.2, reason="connection refused")
    return ProbeResult(ok=True, state=State.UP, latency_ms=12.5, status_code=200)


def results_for(monitor_ids: list[int], checked_at: datetime, down: set[int]) -> list[dict]:
    """The agent's JSON for one check of each monitor, as vigil_agent.agent.as_json shapes it."""
    up, failed = outcome(False), outcome(True)
    return [{**as_json(pk, failed if pk in down else up), "checked_at": checked_at.isoformat()} for pk in monitor_ids]


# --- The central side: agents pushing ----------------------------------------------------------


async def push(url: str, agent: Agent, results: list[dict], sent_at: dict | None = None) -> int:
    """RESULTS as the agent pushes them, a batch at a time; the number accepted."""
    client = VigilClient(url, agent.token)
    accepted = 0
    try:
        for start in range(0, len(results), BATCH):
            batch = results[start : start + BATCH]
            began = time.time()
            accepted += (await client.push(batch))["accepted"]
            if sent_at is not None:  # the confirmation phase: when each result left, how long pushes took
                sent_at.update((r["monitor"], began) for r in batch)
                sent_at.setdefault("took", []).append(time.time() - began)
    finally:
        await client.close()
    return accepted


def push_round(url: str, agents: list[Agent], checked_at: datetime, down: set[int] = frozenset()) -> int:
    """Every agent pushes one check of each of its monitors, all at once; the results accepted."""

    async def everyone():
        pushes = [push(url, agent, results_for(agent.monitors, checked_at, down)) for agent in agents]
        return sum(await asyncio.gather(*pushes))

    return asyncio.run(everyone())


# --- The local side: the probe worker's recording ----------------------------------------------


def recorder(jobs, monitor_ids: list[int], batch_size: int) -> None:
    """Record each job's outcomes for MONITOR_IDS as run_batch does; sends back its backend's pid
    first, then each job's seconds (runs in its own process, as a probe worker does)."""
    from django.db import connection

    from monitoring.recording import Observation, record_observations

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        jobs.send(cursor.fetchone()[0])
    while (checked_at := jobs.recv()) is not None:
        began = time.perf_counter()
        result = outcome(False)
        observations = [
            Observation(pk, str(result.state), checked_at, result.latency_ms, result.status_code, due_at=checked_at)
            for pk in monitor_ids
        ]
        for start in range(0, len(observations), batch_size):
            record_observations(observations[start : start + batch_size])
        jobs.send(time.perf_counter() - began)
    connection.close()


class Recorder:
    def __init__(self, monitor_ids: list[int], batch_size: int):
        from django.db import connections

        connections.close_all()  # the child must not share this process's connection
        context = multiprocessing.get_context("fork")
        self.jobs, child_end = context.Pipe()
        self.process = context.Process(target=recorder, args=(child_end, monitor_ids, batch_size), daemon=True)
        self.process.start()
        self.backend = self.jobs.recv()

    def record(self, checked_at: datetime) -> float:
        self.jobs.send(checked_at)
        return self.jobs.recv()

    def stop(self) -> None:
        self.jobs.send(None)
        self.process.join(timeout=30)


# --- CPU ---------------------------------------------------------------------------------------


class SideCpu:
    """CPU seconds by part: gunicorn's processes and their backends (central), the recorder and
    its backend (local). Backends are told apart by application_name and pid."""

    def __init__(self, args, gunicorn: int, local: Recorder):
        self.args, self.gunicorn, self.local = args, gunicorn, local
        self.admin = _admin_connection(args.postgres)

    def pids(self) -> dict[str, list[int]]:
        with self.admin.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
                [self.args.database, WEB_APP],
            )
            web = [row[0] for row in cursor.fetchall()]
        return {
            "gunicorn": process_tree(self.gunicorn),
            "postgres_web": web,
            "recorder": [self.local.process.pid],
            "postgres_local": [self.local.backend],
        }

    def sample(self) -> dict[str, dict[int, float]]:
        return {part: {pid: cpu_seconds(pid) for pid in pids} for part, pids in self.pids().items()}

    def phase(self, run) -> tuple[object, float, dict[str, float]]:
        """(what RUN returned, the seconds it took, CPU seconds by part meanwhile)."""
        before = self.sample()
        began = time.perf_counter()
        returned = run()
        elapsed = time.perf_counter() - began
        after = self.sample()
        spent = {
            part: sum(max(0.0, cpu - before[part].get(pid, 0.0)) for pid, cpu in pids.items())
            for part, pids in after.items()
        }
        return returned, elapsed, spent


def throughput(args, url: str, agents: list[Agent], local: Recorder, cpu: SideCpu) -> dict:
    """Warm-up, then ARGS.rounds rounds of both sides, alternated."""
    expected = sum(len(agent.monitors) for agent in agents)
    if push_round(url, agents, datetime.now(UTC)) != expected:
        raise RuntimeError("the agents' warm-up round was not all accepted")
    local.record(datetime.now(UTC))
    rounds = []
    for number in range(1, args.rounds + 1):
        accepted, central_s, central_cpu = cpu.phase(lambda: push_round(url, agents, datetime.now(UTC)))
        if accepted != expected:
            raise RuntimeError(f"round {number}: {accepted} of {expected} results accepted")
        _, local_s, local_cpu = cpu.phase(lambda: local.record(datetime.now(UTC)))
        central = central_cpu["gunicorn"] + central_cpu["postgres_web"]
        here = local_cpu["recorder"] + local_cpu["postgres_local"]
        rounds.append({"central_s": central_s, "local_s": local_s, "central_cpu": central_cpu, "local_cpu": local_cpu})
        print(
            f"round {number}: central {expected / central_s:.0f} results/s, {central * 1000 / expected * 1000:.0f} ms "
            f"CPU per 1,000 (gunicorn {central_cpu['gunicorn']:.2f} s, postgres {central_cpu['postgres_web']:.2f} s); "
            f"local {args.monitors / local_s:.0f} results/s, {here * 1000 / args.monitors * 1000:.0f} ms CPU per 1,000 "
            f"(recorder {local_cpu['recorder']:.2f} s, postgres {local_cpu['postgres_local']:.2f} s)",
            flush=True,
        )
    return summarise_rounds(rounds, args.monitors)


def summarise_rounds(rounds: list[dict], results: int) -> dict:
    total = results * len(rounds)

    def per_1000(side: str, part: str) -> float:
        return sum(r[side][part] for r in rounds) * 1000 / total * 1000  # ms

    parts = {
        "gunicorn": per_1000("central_cpu", "gunicorn"),
        "postgres_web": per_1000("central_cpu", "postgres_web"),
        "recorder": per_1000("local_cpu", "recorder"),
        "postgres_local": per_1000("local_cpu", "postgres_local"),
    }
    central = parts["gunicorn"] + parts["postgres_web"]
    local = parts["recorder"] + parts["postgres_local"]
    return {
        "results_per_s": total / sum(r["central_s"] for r in rounds),
        "local_results_per_s": total / sum(r["local_s"] for r in rounds),
        "central_cpu_ms_per_1000": central,
        "local_cpu_ms_per_1000": local,
        "ratio": central / local if local else 0.0,
        "cpu_ms_per_1000_by_part": parts,
    }


# --- Confirmation ---------------------------------------------------------------------------------


class Watcher(threading.Thread):
    """Notes when each of MONITOR_IDS is first seen down, every 50 ms."""

    def __init__(self, monitor_ids: set[int]):
        super().__init__(daemon=True)
        self.waiting, self.seen = set(monitor_ids), {}
        self.stopping = threading.Event()

    def run(self):
        from django.db import connection

        from monitoring.models import Monitor

        while self.waiting and not self.stopping.wait(0.05):
            down = Monitor.objects.filter(pk__in=self.waiting, state=Monitor.State.DOWN).values_list("pk", flat=True)
            now = time.time()
            for pk in list(down):
                self.seen[pk] = now
                self.waiting.discard(pk)
        connection.close()


async def agent_on_cadence(url: str, agent: Agent, due: dict[int, float], down: set[int], push_s: float, sent_at):
    """Pushes every PUSH_S seconds, from a random start, the checks of AGENT's monitors now past; and,
    as the agent does (vigil_agent.agent.Agent._run), at once after a failed check."""
    plan = sorted((due[pk], pk) for pk in agent.monitors if pk in due)
    failures = [at for at, pk in plan if pk in down]
    next_push, done = time.time() + random.uniform(0, push_s), 0
    while done < len(plan):
        next_failure = min((at for at in failures if at > time.time()), default=next_push)
        wake = min(next_push, next_failure)
        await asyncio.sleep(max(0.0, wake - time.time()))
        now, start = time.time(), done
        while done < len(plan) and plan[done][0] <= now:
            done += 1
        results = [
            {**as_json(pk, outcome(pk in down)), "checked_at": datetime.fromtimestamp(at, UTC).isoformat()}
            for at, pk in plan[start:done]
        ]
        if results:
            await push(url, agent, results, sent_at)
        if wake == next_push:
            next_push += push_s


def confirmation(args, url: str, agents: list[Agent], remote: list[int]) -> dict:
    sample = set(random.Random(7).sample(remote, max(1, int(len(remote) * args.failing))))
    push_round(url, agents, datetime.now(UTC), down=sample)  # one failure short of confirmation
    start = time.time() + 1
    due = {pk: start + i * args.interval / len(remote) for i, pk in enumerate(remote)}
    due = {pk: at for pk, at in due.items() if at < start + args.seconds}
    failing = sample & due.keys()
    watcher = Watcher(failing)
    watcher.start()
    sent_at: dict = {}

    async def everyone():
        await asyncio.gather(
            *(agent_on_cadence(url, agent, due, failing, args.push_seconds, sent_at) for agent in agents)
        )

    asyncio.run(everyone())
    deadline = time.time() + 15
    while watcher.waiting and time.time() < deadline:
        time.sleep(0.1)
    watcher.stopping.set()
    watcher.join()
    confirm = [watcher.seen[pk] - due[pk] for pk in failing if pk in watcher.seen]
    ingest = [watcher.seen[pk] - sent_at[pk] for pk in failing if pk in watcher.seen]
    took = sent_at.get("took", [])
    waiting = [sent_at[pk] - due[pk] for pk in failing if pk in sent_at]
    return {
        "checks": len(due),
        "failing": len(failing),
        "unconfirmed": len(failing) - len(confirm),
        "confirm_p50_s": percentile(confirm, 0.5),
        "confirm_p95_s": percentile(confirm, 0.95),
        "confirm_max_s": max(confirm, default=0.0),
        "push_wait_p95_s": percentile(waiting, 0.95),
        "ingest_p95_s": percentile(ingest, 0.95),
        "push_p95_s": percentile(took, 0.95),
        "push_max_s": max(took, default=0.0),
    }


# --- Main ------------------------------------------------------------------------------------------


def report(args, speed: dict, confirm: dict) -> dict:
    parts = speed["cpu_ms_per_1000_by_part"]
    print(
        f"throughput: central {speed['results_per_s']:.0f} results/s, local {speed['local_results_per_s']:.0f}/s; "
        f"CPU per 1,000 results: central {speed['central_cpu_ms_per_1000']:.0f} ms "
        f"(gunicorn {parts['gunicorn']:.0f}, postgres {parts['postgres_web']:.0f}), "
        f"local {speed['local_cpu_ms_per_1000']:.0f} ms (recorder {parts['recorder']:.0f}, "
        f"postgres {parts['postgres_local']:.0f}); ratio {speed['ratio']:.2f}"
    )
    print(
        f"confirmation: {confirm['failing']} monitors failing among {confirm['checks']} checks; check -> confirmed "
        f"p50 {confirm['confirm_p50_s']:.2f} s, p95 {confirm['confirm_p95_s']:.2f} s, "
        f"max {confirm['confirm_max_s']:.2f} s (waiting for the push p95 {confirm['push_wait_p95_s']:.2f} s, "
        f"push -> visible p95 {confirm['ingest_p95_s']:.2f} s); unconfirmed {confirm['unconfirmed']}; "
        f"a push took p95 {confirm['push_p95_s']:.2f} s, max {confirm['push_max_s']:.2f} s"
    )
    goals = {
        f"ratio <= {GOAL_RATIO}": speed["ratio"] <= GOAL_RATIO,
        f"confirm p95 < {GOAL_CONFIRM_P95_S:g} s, none missed": confirm["confirm_p95_s"] < GOAL_CONFIRM_P95_S
        and not confirm["unconfirmed"],
    }
    for goal, met in goals.items():
        print(f"goal {goal}: {'met' if met else 'NOT met'}")
    rounded = {key: round(value, 3) for key, value in {**speed, **confirm}.items() if isinstance(value, float)}
    return {
        "bench": "agents",
        **{key: value for key, value in {**speed, **confirm}.items() if not isinstance(value, float | dict)},
        **rounded,
        "cpu_ms_per_1000_by_part": {part: round(ms, 1) for part, ms in parts.items()},
        "monitors": args.monitors,
        "agents": args.agents,
        "interval": args.interval,
        "push_seconds": args.push_seconds,
        "rounds": args.rounds,
        "workers": args.workers,
        "quick": args.quick,
        "goals_met": all(goals.values()),
    }


def main() -> int:
    args = parse_args()
    t0 = time.monotonic()
    database_url = recreate_database(args.postgres, args.database)
    port = free_port()
    var_dir = tempfile.mkdtemp(prefix="vigil-bench-agents-")
    env = server_environment(database_url, args.redis, port, var_dir)
    agents, remote, local_ids = setup_django(env, args)
    from django.conf import settings

    local = Recorder(local_ids, settings.VIGIL_PROBE_BATCH_SIZE)
    web_env = {**env, "DATABASE_URL": f"{database_url}?application_name={WEB_APP}"}
    log_path = Path(var_dir) / "gunicorn.log"
    server = start_gunicorn(port, args.workers, 1, web_env, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(port, server, log_path)
        print(
            f"gunicorn: {args.workers} workers on {url}; {args.agents} agents (vigil-agent {AGENT_VERSION}) "
            f"x {args.monitors // args.agents} monitors, local recorder in batches of "
            f"{settings.VIGIL_PROBE_BATCH_SIZE}; setup took {time.monotonic() - t0:.1f} s",
            flush=True,
        )
        speed = throughput(args, url, agents, local, SideCpu(args, server.pid, local))
        if args.profile:  # before any monitor fails: no incident opened or resolved in the profile
            profile_ingest(agents[0], local_ids, results_for)
        confirm = confirmation(args, url, agents, remote)
        if args.profile:
            profile_transitions(agents[0], results_for)
    finally:
        stop_process(server)  # a worker may be busy with a long push: killed after a while
        local.stop()
    result = report(args, speed, confirm)
    from django.db import connections

    connections.close_all()
    purge_queues()  # the incidents the failing monitors opened queued their escalations
    if not args.keep_db:
        drop_database(args.postgres, args.database)
    print(json.dumps(result))
    return 0 if not confirm["unconfirmed"] else 1


if __name__ == "__main__":
    sys.exit(main())
