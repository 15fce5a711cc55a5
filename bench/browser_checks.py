"""Scripted browser checks: what one costs, and what VIGIL_BROWSER_CONCURRENCY buys.

    .venv/bin/python bench/browser_checks.py [--quick] [--checks 8]

Starts the tests' login shop on loopback (tests/monitoring/shop.py) and runs batches of the same
login script (open, fill, fill, click, expect text, expect status) through run_probes_sync, as the
browser worker does: one Chromium per batch, a fresh context per check. Side by side, rounds at
browser concurrency 1 and 2 (the default); it reports each round's wall time, the Chromium launch
(a batch of one check with no steps, less its step time) and the median steps' time of a check.
Needs /usr/bin/chromium (VIGIL_CHROMIUM_PATH). The last line printed is JSON.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.monitoring.shop import LOGIN_STEPS, PASSWORD, Shop  # noqa: E402
from vigil_probes import BrowserProbe, browser, run_probes_sync  # noqa: E402
from vigil_probes.net import policy  # noqa: E402

LOOPBACK = policy(("127.0.0.0/8",))


def batch(probes, concurrency: int) -> tuple[float, list]:
    started = time.perf_counter()
    results = run_probes_sync(probes, policy=LOOPBACK, browser_concurrency=concurrency)
    return time.perf_counter() - started, results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one round of each (under a minute)")
    parser.add_argument("--checks", type=int, default=4, help="checks per batch")
    args = parser.parse_args()
    missing = browser.chromium_missing()
    if missing:
        sys.exit(missing)
    browser.use_secrets(lambda: {"SHOP_PASSWORD": PASSWORD})
    shop = Shop().start()
    try:
        probe = BrowserProbe(shop.url, LOGIN_STEPS, timeout=30)
        rounds = 1 if args.quick else 3
        walls: dict[int, list[float]] = {1: [], 2: []}
        steps_ms, launches = [], []
        for _ in range(rounds):
            seconds, (empty,) = batch([BrowserProbe(shop.url, timeout=30)], 1)
            launches.append(seconds - empty.latency_ms / 1000)
            for concurrency in (1, 2):
                seconds, results = batch([probe] * args.checks, concurrency)
                assert all(r.ok for r in results), [r.reason for r in results if not r.ok]
                walls[concurrency].append(seconds)
                steps_ms += [r.latency_ms for r in results]
    finally:
        shop.stop()
    figures = {
        "checks_per_batch": args.checks,
        "launch_s": round(statistics.median(launches), 2),
        "check_steps_ms_median": round(statistics.median(steps_ms)),
        "batch_s_concurrency_1": round(statistics.median(walls[1]), 2),
        "batch_s_concurrency_2": round(statistics.median(walls[2]), 2),
    }
    figures["ratio_2_to_1"] = round(figures["batch_s_concurrency_2"] / figures["batch_s_concurrency_1"], 2)
    for name, value in figures.items():
        print(f"{name:>24}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
