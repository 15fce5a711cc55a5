"""The floor (issue #23): what a trivial Django view costs through the same gunicorn, side by side.

bench/heartbeats.py and bench/alerts.py alternate their measured phases with GET /bench/ping/
(bench/wsgi_bench.py: two bytes, no database) on the same server, workers and middleware. The
floor is that view's requests per second and server CPU per request (gunicorn's workers, the
flusher, PostgreSQL's backends, Redis, read from /proc), by process. A path's ratio to the floor is
floor CPU per request / the path's CPU per request: 1.0 means a request of the path costs the
server no more than the trivial view. CPU, not rates, is the goal's measure: busy neighbours on a
shared machine slow both phases but hardly change what each request costs.
"""


def floor_report(name: str, floor: dict, measured: dict, goal: float) -> dict:
    """Print the floor beside NAME's figures; returns the keys for the bench's JSON line.

    FLOOR and MEASURED: {"per_s", "cpu_ms", "cpu_ms_by": {process: ms}} of the two phases.
    """
    ratio = floor["cpu_ms"] / measured["cpu_ms"] if measured["cpu_ms"] else 0.0
    rate_ratio = measured["per_s"] / floor["per_s"] if floor["per_s"] else 0.0
    print(f"floor (trivial Django view, same server, same run): {floor['per_s']:.0f} req/s, ", end="")
    print(f"server CPU {floor['cpu_ms']:.3f} ms a request (" + _by_process(floor["cpu_ms_by"]) + ")")
    print(f"{name}: {measured['per_s']:.0f} req/s, server CPU {measured['cpu_ms']:.3f} ms a request (", end="")
    print(_by_process(measured["cpu_ms_by"]) + ")")
    met = ratio >= goal
    print(
        f"{name} against the floor: {ratio:.2f}x by CPU per request, {rate_ratio:.2f}x by req/s; "
        f"goal >= {goal:g}x by CPU: {'met' if met else 'NOT met'}"
    )
    return {
        "floor_per_s": round(floor["per_s"], 1),
        "floor_cpu_ms": round(floor["cpu_ms"], 3),
        "floor_cpu_ms_by_process": {k: round(v, 3) for k, v in floor["cpu_ms_by"].items()},
        "floor_ratio": round(ratio, 3),
        "floor_rate_ratio": round(rate_ratio, 3),
        "floor_goal": goal,
        "floor_goal_met": met,
    }


def _by_process(by: dict) -> str:
    return ", ".join(f"{process} {ms:.3f}" for process, ms in by.items())
