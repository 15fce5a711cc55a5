"""Configuration as code at scale (issue #22): plan and apply a big file, then a plan with nothing to do.

    .venv/bin/python bench/config.py [--quick]

It makes a PostgreSQL database (vigil_bench_config, dropped and made again), migrates it, and
writes a configuration of 20 teams, 100 components, 200 schedules, 200 escalation policies (two
levels each, paging the schedules) and 5,000 monitors naming them (a tenth with --quick). Then,
in this process:

- plan_s: reading the file and planning it on the empty install;
- apply_s: vigil_apply's apply_files, everything through the apps' actions in one transaction;
- noop_plan_s and noop_queries: planning the same file again (nothing to do), with its queries
  counted, and noop_queries_small the same for a tenth of the file: the two counts must be equal;
- api_one_by_one_s: the same monitors created one at a time through the REST API
  (POST /api/v1/monitors/ with an admin's API key, Django's test client in this process), timed
  on --api-sample of them and scaled to all; ratio is api_one_by_one_s / apply_s.

The goals of the issue: plan under 5 s, apply from empty under 30 s, a no-change plan under 3 s.
The last line printed is JSON with these figures.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.alerts import drop_database, recreate_database  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the objects")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default="vigil_bench_config")
    parser.add_argument("--api-sample", type=int, default=300, help="monitors created through the API, timed")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    args.monitors, args.schedules, args.policies = 5000 // scale, 200 // scale, 200 // scale
    return args


def configuration(monitors: int, schedules: int, policies: int) -> str:
    lines = ["teams:"] + [f"  - {{key: team-{n}, name: Team {n}}}" for n in range(20)]
    lines += ["schedules:"] + [
        f"  - {{key: schedule-{n}, name: Schedule {n}, time_zone: Europe/Paris, team: team-{n % 20}}}"
        for n in range(schedules)
    ]
    lines += ["escalation_policies:"]
    for n in range(policies):
        first, second = f"schedule-{n % schedules}", f"schedule-{(n + 1) % schedules}"
        lines += [
            f"  - key: policy-{n}",
            f"    name: Policy {n}",
            f"    team: team-{n % 20}",
            f"    levels: [{{schedules: [{first}], timeout_minutes: 10}}, {{schedules: [{second}]}}]",
        ]
    lines += ["components:"] + [
        f"  - {{key: component-{n}, name: Component {n}, team: team-{n % 20}}}" for n in range(100)
    ]
    lines += ["monitors:"] + [
        f"  - {{key: monitor-{n}, name: Monitor {n}, target: 'https://s{n}.example.com/health', interval_seconds: 60,"
        f" team: team-{n % 20}, component: component-{n % 100}, escalation_policy: policy-{n % policies}}}"
        for n in range(monitors)
    ]
    return "\n".join(lines) + "\n"


def setup_django(database_url: str, var_dir: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        VIGIL_VAR_DIR=var_dir,
        SECRET_KEY="bench-" + "x" * 50,
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigil.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def noop_queries(text: str) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from config_code.loader import load
    from config_code.plan import make_plan

    files = [("bench.yaml", text)]
    with CaptureQueriesContext(connection) as queries:
        plan, seconds = timed(lambda: make_plan(load(files)))
    assert not plan.errors and not plan.changes, (plan.errors[:3], len(plan.changes))
    return len(queries), seconds


def api_one_by_one(count: int) -> float:
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from incidents.models import Component, Team
    from vigil.audit import Actor
    from vigil.roles import Role, assign_role
    from vigil.services import do_create_api_key

    user = get_user_model().objects.create_user("bench-admin", "bench@example.com", "x")
    assign_role(user, Role.ADMIN)
    _, raw = do_create_api_key(Actor(user=user, via="cli"), user, "bench")
    client = APIClient(SERVER_NAME="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    team, component = Team.objects.first(), Component.objects.first()
    started = time.perf_counter()
    for n in range(count):
        body = {"name": f"API monitor {n}", "kind": "http", "target": f"https://api{n}.example.com/health",
                "interval_seconds": 60, "team": team.pk, "component": component.pk}  # fmt: skip
        response = client.post("/api/v1/monitors/", body, format="json")
        assert response.status_code == 201, (response.status_code, response.content[:300])
    return time.perf_counter() - started


def main() -> None:
    args = parse_args()
    database_url = recreate_database(args.postgres, args.database)
    try:
        with tempfile.TemporaryDirectory() as var_dir:
            setup_django(database_url, var_dir)
            from config_code.apply import apply_files
            from config_code.loader import load
            from config_code.plan import make_plan

            text = configuration(args.monitors, args.schedules, args.policies)
            small = configuration(args.monitors // 10, args.schedules, args.policies)
            plan, plan_s = timed(lambda: make_plan(load([("bench.yaml", text)])))
            assert not plan.errors, plan.errors[:3]
            print(f"plan: {len(plan.changes)} changes in {plan_s:.2f} s", flush=True)
            _, apply_s = timed(lambda: apply_files([("bench.yaml", text)]))
            print(f"apply: {apply_s:.2f} s", flush=True)
            queries, noop_s = noop_queries(text)
            print(f"no-change plan: {noop_s:.2f} s, {queries} queries", flush=True)
            apply_files([("small.yaml", small)], prune=True)  # a tenth of the monitors (the rest pruned)
            queries_small, _ = noop_queries(small)
            sample = api_one_by_one(args.api_sample)
            api_s = sample * args.monitors / args.api_sample
            print(f"API one by one: {args.api_sample} in {sample:.2f} s, {api_s:.1f} s for {args.monitors}")
            result = {
                "monitors": args.monitors, "schedules": args.schedules, "policies": args.policies,
                "plan_s": round(plan_s, 2), "apply_s": round(apply_s, 2), "noop_plan_s": round(noop_s, 2),
                "noop_queries": queries, "noop_queries_small": queries_small,
                "api_one_by_one_s": round(api_s, 1), "ratio": round(api_s / apply_s, 1),
            }  # fmt: skip
            print(json.dumps(result))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            drop_database(args.postgres, args.database)


if __name__ == "__main__":
    main()
