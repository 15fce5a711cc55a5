"""bench/agents.py --profile: where the ingest of an agent's results spends its time, in process.

The same batches go through the view (Django's test client: middleware, authentication, DRF's
validation, monitoring.agent_results) under cProfile, beside record_observations alone on as many
central results, so the two sides' Python time compare directly. PostgreSQL's own time shows only
as the client's waits (psycopg2's execute).
"""

import cProfile
import io
import json
import pstats
import time
from datetime import UTC, datetime, timedelta

BATCHES = 10
TOP = 25


def profile_ingest(agent, local_ids: list[int], results_for) -> None:
    """Profile BATCHES pushes of AGENT's results through the view, then as many local results."""
    from django.test import Client
    from vigil_agent import __version__
    from vigil_agent.agent import BATCH

    from monitoring.recording import Observation, record_observations

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {agent.token}")
    ids = agent.monitors[:BATCH]
    start = datetime.now(UTC) + timedelta(seconds=1)
    bodies = [
        json.dumps({"version": __version__, "results": results_for(ids, start + timedelta(milliseconds=n), set())})
        for n in range(BATCHES)
    ]
    for body in bodies[:1]:  # warm: the first request imports and builds what later ones reuse
        client.post("/api/v1/agent/results", body, content_type="application/json")
    central, central_s = cProfile.Profile(), time.perf_counter()
    central.enable()
    for body in bodies[1:]:
        response = client.post("/api/v1/agent/results", body, content_type="application/json")
        if response.status_code != 200:
            raise RuntimeError(f"profiling: the view answered {response.status_code}: {response.content[:300]}")
    central.disable()
    central_s = time.perf_counter() - central_s

    local_batch = local_ids[: len(ids)]
    record_observations([Observation(pk, "up", start, 12.5, 200, due_at=start) for pk in local_batch])  # warm
    local, local_s = cProfile.Profile(), time.perf_counter()
    local.enable()
    for n in range(1, BATCHES):
        at = start + timedelta(milliseconds=n)
        record_observations([Observation(pk, "up", at, 12.5, 200, due_at=at) for pk in local_batch])
    local.disable()
    local_s = time.perf_counter() - local_s

    results = (BATCHES - 1) * len(ids)
    print(
        f"profile ({BATCHES - 1} batches of {len(ids)}, in process, wall): view {central_s * 1e6 / results:.0f} ms "
        f"per 1,000 results, record_observations alone {local_s * 1e6 / results:.0f} ms per 1,000"
    )
    out = io.StringIO()
    stats = pstats.Stats(central, stream=out).sort_stats("cumulative")
    stats.print_callees(r"agent\.py:\d+\(post\)|record_agent_results")  # where the view's own time goes
    print("--- the view's steps (callees of ResultsView.post and record_agent_results)")
    print("\n".join(line for line in out.getvalue().splitlines() if "->" in line or "  " in line[:60]))
    for title, profile in (("view", central), ("record_observations", local)):
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(TOP)
            lines = [line for line in out.getvalue().splitlines() if line.strip()]
            print(f"--- {title}, top {TOP} by {order}")
            print("\n".join(lines[lines.index(next(x for x in lines if x.lstrip().startswith("ncalls"))) :]))


def profile_transitions(agent, results_for, count: int = 20) -> None:
    """Profile one push in which COUNT of AGENT's monitors are confirmed down (each opens its
    incident after commit, in the request), after an unprofiled push of their first failure."""
    from django.test import Client
    from vigil_agent import __version__

    from monitoring.models import Monitor

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {agent.token}")
    ids = list(Monitor.objects.filter(pk__in=agent.monitors, state=Monitor.State.UP).values_list("pk", flat=True))
    ids = ids[:count]
    first = datetime.now(UTC)
    bodies = [
        json.dumps({"version": __version__, "results": results_for(ids, first + timedelta(milliseconds=n), set(ids))})
        for n in range(2)
    ]
    client.post("/api/v1/agent/results", bodies[0], content_type="application/json")
    profile, began = cProfile.Profile(), time.perf_counter()
    profile.enable()
    response = client.post("/api/v1/agent/results", bodies[1], content_type="application/json")
    profile.disable()
    elapsed = time.perf_counter() - began
    down = Monitor.objects.filter(pk__in=ids, state=Monitor.State.DOWN).count()
    print(
        f"profile: one push confirming {down} of {len(ids)} monitors down (status {response.status_code}) "
        f"took {elapsed:.2f} s in process, {elapsed / max(1, down) * 1000:.0f} ms per monitor down"
    )
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(r"(monitoring|incidents|comms|vigil)/", TOP)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    print(f"--- that push, Vigil's own functions, top {TOP} by cumulative")
    print("\n".join(lines[lines.index(next(x for x in lines if x.lstrip().startswith("ncalls"))) :]))
