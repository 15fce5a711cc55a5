"""Detection time: from a target going down to its monitor being down and its incident open.

    .venv/bin/python bench/detection.py [--quick]

Needs PostgreSQL (127.0.0.1:5432) and Redis (its db 7 by default). Vigil runs as bench/_common.py
describes (a real Celery probe worker, the real dispatcher every second). Each trial is one HTTP
monitor (interval 10 s, retry 2 s, failure threshold 2) on its own fast local target (the one of
bench/probe_engine_quick.py, in its own process); the trials run side by side. Once a monitor's
first check is in, its target is killed (its port closes, so a probe is refused at once) at a
known instant: trial i at i/N of an interval after that check, so the outage falls at a different
point of the schedule in each trial. Trial 0 kills the target as soon as the check is seen: the
worst case, a whole interval before the next check notices.

Polling the database every 50 ms, it prints for each trial the time from the outage until the
monitor is down (the state a user sees) and until its incident is open (the monitor names it),
against the budget of interval + retry + 1 s. The last line is JSON: down_after_s and
incident_after_s (the worst trial's), budget_s and each trial's figures.
"""

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import VigilMonitoring, add_arguments, start_target, stop_process

POLL_S = 0.05


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--trials", type=int, help="monitors taken down, side by side (default 8, quick 4)")
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--retry", type=int, default=2, help="retry interval in seconds")
    parser.add_argument("--failure-threshold", type=int, default=2)
    add_arguments(parser, database="vigil_bench")
    args = parser.parse_args()
    args.trials = args.trials or (4 if args.quick else 8)
    return args


@dataclass
class Trial:
    """One monitor and its target, and when things happened to them (time.time())."""

    offset: float  # fraction of an interval between the first check and the outage
    target: object  # the target's process
    url: str
    monitor_id: int = 0
    outage_at: float | None = None  # when the target is to be (then was) killed
    down_at: float | None = None
    incident_at: float | None = None

    @property
    def done(self) -> bool:
        return self.incident_at is not None

    def figures(self) -> dict:
        return {
            "offset": round(self.offset, 3),
            "down_after_s": round(self.down_at - self.outage_at, 3) if self.down_at else None,
            "incident_after_s": round(self.incident_at - self.outage_at, 3) if self.incident_at else None,
        }


def create_monitor(url: str, number: int, args) -> int:
    from django.utils import timezone

    from monitoring.models import Monitor

    monitor = Monitor.objects.create(
        name=f"detection {number}",
        target=url,
        interval_seconds=args.interval,
        retry_interval_seconds=args.retry,
        failure_threshold=args.failure_threshold,
        timeout_seconds=2,
        next_check_at=timezone.now(),
    )
    return monitor.pk


def watch(vigil: VigilMonitoring, trials: list[Trial], args) -> None:
    """Kill each target at its instant and note when its monitor is down and its incident open."""
    from monitoring.models import Monitor

    by_monitor = {trial.monitor_id: trial for trial in trials}
    deadline = time.time() + 3 * args.interval + 2 * (args.retry + 1) * args.failure_threshold + 10
    while not all(trial.done for trial in trials):
        vigil.check_alive()
        now = time.time()
        if now > deadline:
            raise RuntimeError(f"not every monitor went down in time: {[t.figures() for t in trials]}")
        rows = Monitor.objects.filter(pk__in=by_monitor).values_list("pk", "state", "last_checked_at", "incident_id")
        for pk, state, last_checked_at, incident_id in rows:
            trial = by_monitor[pk]
            if trial.outage_at is None and state == Monitor.State.UP:
                trial.outage_at = max(now, last_checked_at.timestamp() + trial.offset * args.interval)
            if trial.outage_at is not None and trial.target.poll() is None and now >= trial.outage_at:
                trial.outage_at = time.time()
                trial.target.kill()  # the listening socket closes with the process
            if trial.down_at is None and state == Monitor.State.DOWN:
                trial.down_at = now
            if trial.incident_at is None and incident_id is not None:
                trial.incident_at = now
        time.sleep(max(0.0, POLL_S - (time.time() - now)))


def main() -> int:
    args = parse_args()
    budget = args.interval + args.retry + 1
    trials = [Trial(i / args.trials, *start_target()) for i in range(args.trials)]
    try:
        with VigilMonitoring(args, concurrency=1) as vigil:
            for number, trial in enumerate(trials):
                trial.monitor_id = create_monitor(trial.url, number, args)
            print(
                f"{args.trials} monitors (interval {args.interval} s, retry {args.retry} s, "
                f"failure threshold {args.failure_threshold}), each target killed at its own point of the schedule",
                flush=True,
            )
            watch(vigil, trials, args)
    finally:
        for trial in trials:
            stop_process(trial.target)
    return report(args, trials, budget)


def report(args, trials: list[Trial], budget: float) -> int:
    for trial in trials:
        figures = trial.figures()
        print(
            f"outage {figures['offset']:.2f} of an interval after a check: down after {figures['down_after_s']:.2f} s, "
            f"incident open after {figures['incident_after_s']:.2f} s"
        )
    worst_down = max(trial.down_at - trial.outage_at for trial in trials)
    worst_incident = max(trial.incident_at - trial.outage_at for trial in trials)
    met = worst_incident < budget
    print(f"worst: down after {worst_down:.2f} s, incident open after {worst_incident:.2f} s")
    print(f"goal (incident open under interval + retry + 1 s = {budget:g} s): {'met' if met else 'NOT met'}")
    result = {
        "bench": "detection",
        "down_after_s": round(worst_down, 3),
        "incident_after_s": round(worst_incident, 3),
        "budget_s": budget,
        "interval": args.interval,
        "retry": args.retry,
        "failure_threshold": args.failure_threshold,
        "trials": [trial.figures() for trial in trials],
        "quick": args.quick,
        "goal_met": met,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
