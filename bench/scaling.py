"""Vigil's main paths at growing sizes: is the cost of one unit flat, and memory bounded?

    .venv/bin/python bench/scaling.py [--quick | --scale 0.2] [--paths fanout,probes,...]

Needs PostgreSQL (127.0.0.1:5432) and Redis (db 11 by default). Each path runs in its own process
(python bench/scaling.py --path NAME --sizes a,b,c) on a fresh database, vigil_scaling, with the
setup code of the path's own bench (bench/_scaling_paths.py says what each measures):

  fanout   one public update to N stakeholders by email and SMS, a real comms worker, fake
           providers (bench/fanout.py)                          unit: a recipient   1k, 10k, 50k
  probes   N HTTP monitors all due at once on one probe worker (Celery, 2 processes; bench/probes.py)
                                                                unit: a check       1k, 10k, 30k
  alerts   Alertmanager webhooks (95% repeats, 5% new; bench/alerts.py's) through Django's test
           client with N open alerts in the database            unit: a webhook     1k, 10k, 100k
  reports  the 365-day report (postmortems.reports.build) over N incidents (bench/reports.py's Seeder)
                                                                unit: an incident   10k, 100k, 1M
  status   the status page snapshot rebuilt with N public components, each with 90 days of uptime
           (bench/status_page.py's build_snapshot)              unit: a component   10, 100, 500

--quick uses a tenth or less of each size (6.5 minutes at a load average of 10 on 2 cores, 2 of
them migrating the template database); --scale F multiplies the full sizes by F (the full run took
21 minutes). For each size it prints time per unit (wall), CPU per unit (of the process doing the
work) and memory: the growth of that process's peak resident set (the kernel's VmHWM, reset
before each pass) over its resident set before the pass, in total and per unit.

Goals: the time per unit does not grow, growth_ratio = the most it rose from a size to any larger
one <= 1.5 (goal_met). flat_ratio = max/min <= 1.5 (flat_goal_met) is stricter: it also fails when
the cost per unit falls, a fixed cost spread over more units. Memory bounded, checked
for fan-out (it must stream its audience, never load it at once): the growth at the largest size is
at most twice that at the smallest plus 16 MB. A chart of time per unit against size (one panel
per path) is written as SVG (--svg; docs/scaling.svg for a full or scaled run). The last line
printed is JSON: per path its sizes, per-unit times, CPU and memory, flat_ratio and the goals.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._scaling_chart import write_svg  # noqa: E402

FULL = {  # in the order they run: the longest last
    "status": [10, 100, 500],
    "alerts": [1_000, 10_000, 100_000],
    "probes": [1_000, 10_000, 30_000],
    "fanout": [1_000, 10_000, 50_000],
    "reports": [10_000, 100_000, 1_000_000],
}
QUICK = {
    "fanout": [200, 1_000, 3_000],
    "probes": [200, 1_000, 2_000],
    "alerts": [1_000, 3_000, 10_000],
    "reports": [1_000, 5_000, 20_000],
    "status": [10, 25, 50],
}
UNITS = {"fanout": "recipient", "probes": "check", "alerts": "webhook", "reports": "incident", "status": "component"}
GOAL_FLAT_RATIO = 1.5
MEMORY_SLACK_MB = 16


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under about a minute and a half")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the full sizes by this")
    parser.add_argument("--paths", default=",".join(FULL), help="which paths, comma-separated")
    parser.add_argument("--svg", help="where to write the chart (default: docs/scaling.svg unless --quick)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed to each path")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default="vigil_scaling")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11", help="emptied at the start of each path")
    parser.add_argument("--keep-db", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--webhooks", type=int, help="webhooks measured at each size (default 2000, quick 500)")
    parser.add_argument("--path", help=argparse.SUPPRESS)  # a child: run this path only
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    parser.add_argument("--template", help=argparse.SUPPRESS)  # a migrated database each path's is copied from
    args = parser.parse_args()
    args.webhooks = args.webhooks or (500 if args.quick else 2000)
    if args.svg is None and not args.quick:
        args.svg = str(ROOT / "docs" / "scaling.svg")
    return args


def sizes_for(args, path: str) -> list[int]:
    if args.quick:
        return QUICK[path]
    return [max(1, round(size * args.scale)) for size in FULL[path]]


def make_template(args) -> None:
    """Migrate ARGS.template once: each path's database is a copy of it (CREATE DATABASE ... TEMPLATE),
    so no path waits for the migrations."""
    import tempfile

    from bench.alerts import recreate_database, server_environment
    from bench.status_page import setup_django

    var_dir = tempfile.mkdtemp(prefix="vigil-bench-scaling-")
    setup_django(server_environment(recreate_database(args.postgres, args.template), args.redis, 8000, var_dir))
    from django.db import connections

    connections.close_all()


def child(args) -> int:
    """One path at its sizes, in this process; prints its rows as the last line of JSON."""
    from bench._scaling_paths import PATHS
    from bench.alerts import drop_database

    if args.path == "template":
        make_template(args)
        return 0

    try:
        rows = PATHS[args.path](args, [int(size) for size in args.sizes.split(",")])
    finally:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        drop_database(args.postgres, args.database)
    print(json.dumps(rows))
    return 0


def run_path(args, path: str) -> list[dict] | None:
    sizes = ",".join(str(size) for size in sizes_for(args, path))
    command = [sys.executable, __file__, "--path", path, "--sizes", sizes, "--webhooks", str(args.webhooks)]
    command += ["--postgres", args.postgres, "--database", args.database, "--redis", args.redis]
    command += ["--template", args.template]
    print(f"{path}: sizes {sizes}", flush=True)
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        print(f"{path}: timed out after {args.timeout:.0f} s", flush=True)
        return None
    lines = done.stdout.rstrip().splitlines()
    print("\n".join(line for line in lines[:-1]), flush=True)
    if done.returncode or not lines:
        print(f"{path}: failed (exit {done.returncode})", flush=True)
        return None
    print(f"{path}: {time.monotonic() - started:.0f} s", flush=True)
    return json.loads(lines[-1])


def growth_ratio(per_unit: list[float]) -> float:
    """The most the cost per unit rose from a size to any larger one (below 1: it only fell)."""
    pairs = [(a, b) for i, a in enumerate(per_unit) for b in per_unit[i + 1 :]]
    return max((b / a for a, b in pairs if a > 0), default=float("inf"))


def summarise(path: str, rows: list[dict]) -> dict:
    """Per-unit figures at each size and the goals."""
    ms = [row["seconds"] / row["units"] * 1000 for row in rows]
    cpu_ms = [row["cpu_s"] / row["units"] * 1000 for row in rows]
    memory = [row["mem_growth_mb"] for row in rows]
    flat = max(ms) / min(ms) if min(ms) > 0 else float("inf")
    growth = growth_ratio(ms)
    bounded = memory[-1] <= 2 * memory[0] + MEMORY_SLACK_MB
    return {
        "unit": UNITS[path],
        "sizes": [row["size"] for row in rows],
        "ms_per_unit": [round(x, 4) for x in ms],
        "cpu_ms_per_unit": [round(x, 4) for x in cpu_ms],
        "mem_growth_mb": memory,
        "kb_per_unit": [round(g * 1024 / row["units"], 3) for g, row in zip(memory, rows, strict=True)],
        "flat_ratio": round(flat, 2),
        "growth_ratio": round(growth, 2),
        "goal_met": growth <= GOAL_FLAT_RATIO,
        "flat_goal_met": flat <= GOAL_FLAT_RATIO,
        "memory_bounded": bounded,
        "rows": rows,
    }


def show(path: str, summary: dict) -> None:
    print(f"{path} (per {summary['unit']}):")
    print(f"  {'size':>9} {'ms/unit':>9} {'CPU ms/unit':>12} {'memory +MB':>11} {'KB/unit':>9}")
    for i, size in enumerate(summary["sizes"]):
        print(
            f"  {size:>9} {summary['ms_per_unit'][i]:>9.3f} {summary['cpu_ms_per_unit'][i]:>12.3f} "
            f"{summary['mem_growth_mb'][i]:>11.1f} {summary['kb_per_unit'][i]:>9.3f}"
        )
    print(
        f"  growth ratio {summary['growth_ratio']:.2f} (goal <= {GOAL_FLAT_RATIO}): "
        f"{'met' if summary['goal_met'] else 'NOT met'}; flat ratio (max/min) {summary['flat_ratio']:.2f}; memory "
        + (
            "bounded" if summary["memory_bounded"] else f"grows with size, {summary['kb_per_unit'][-1]:.1f} KB per unit"
        ),
        flush=True,
    )


def main() -> int:
    args = parse_args()
    if args.path:
        return child(args)
    t0 = time.monotonic()
    results = {}
    paths = args.paths.split(",")
    args.template = f"{args.database}_template"
    command = [sys.executable, __file__, "--path", "template", "--template", args.template]
    subprocess.run([*command, "--postgres", args.postgres, "--redis", args.redis], cwd=ROOT, check=True)
    print(f"migrated the template database in {time.monotonic() - t0:.0f} s", flush=True)
    try:
        for path in paths:
            rows = run_path(args, path)
            if rows:
                results[path] = summarise(path, rows)
                show(path, results[path])
    finally:
        from bench.alerts import drop_database

        drop_database(args.postgres, args.template)
    if args.svg and results:
        write_svg(Path(args.svg), results, GOAL_FLAT_RATIO)
        print(f"chart: {args.svg}")
    fanout = results.get("fanout")
    result = {
        "bench": "scaling",
        "quick": args.quick,
        "scale": None if args.quick else args.scale,
        "goal_flat_ratio": GOAL_FLAT_RATIO,
        "memory": "peak RSS growth (VmHWM reset by /proc/PID/clear_refs) of the process doing the work",
        "paths": results,  # with each size's raw row (fan-out's has planned_s: the one planning task's share)
        "goal_met": all(s["goal_met"] for s in results.values()) and len(results) == len(paths),
        "fanout_memory_bounded": fanout["memory_bounded"] if fanout else None,
        "seconds": round(time.monotonic() - t0, 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
