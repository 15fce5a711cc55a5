"""The Slack app: signed slash commands and button presses acknowledged per second, and declare to card.

    .venv/bin/python bench/slack.py [--quick]

The machinery of bench/alerts.py, imported from it: a fresh PostgreSQL database (vigil_bench_slack),
gunicorn (3 workers of 4 threads) serving bench/wsgi_bench.py (Vigil plus a trivial Django view) on
a free loopback port, Redis (DB 12: broker, cache and the replay guard's signatures) and the asyncio
load generator. Slack is tests/chat/slack_fake.FakeSlack running in this process (as bench/fanout.py
runs tests/comms/fakes.py); gunicorn and the workers get SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and
SLACK_API_URL pointing at it. Two Celery workers run as the Procfile lays them out, one process each
(--concurrency 1): "chat" (queue chat: every Slack task) and the rest (escalation, pages, default,
comms: paging a declared SEV1 and the like). Slack users are linked to Vigil responders beforehand
(SlackIdentity rows, made through the ORM), so no users.info call is in the hot path.

1. Declare to card (run first, on a quiet worker): K SEV1 declares one after another through the
   signed `declare` modal's submission (view_submission, callback "declare"), each timed from the
   request sent to the fake recording pins.add of the incident's card in the incident's channel;
   alternating with K declares through the REST API (POST /api/v1/incidents/, an API key) timed to
   the same moment. Goal: declare to card p95 < 2 s.
2. Acknowledgment: --concurrency (50) clients send signed requests, each signed apart (the replay
   guard refuses a signature seen before): `/vigil help` (answered in the request), `ack <id>`,
   `note <text>`, `status monitoring <id>` (queued to Celery: Slack gets an empty 200) and Acknowledge
   button presses (block_actions `ack:<id>`), in equal shares; against GET /bench/ping/ (a trivial
   view) on the same server, in alternating rounds. Goal: p99 of the answer < 300 ms, 0 errors (any
   answer but 200). The chat worker's replies to response_url during the rounds are counted too.

The last line printed is JSON: ack_p99_ms, commands_per_s, peer_per_s, declare_to_card_p95_s,
api_declare_p95_s, errors, goal_met and more.
"""

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import percentile, stop_process  # noqa: E402
from bench.alerts import (  # noqa: E402
    PING_PATH,
    drop_database,
    free_port,
    get_request,
    load,
    recreate_database,
    server_environment,
    start_gunicorn,
    summarise,
    wait_until_serving,
)
from tests.chat.slack_fake import FakeSlack  # noqa: E402

CELERY = Path(sys.executable).parent / "celery"
TOKEN = "xoxb-bench-token"
SIGNING_SECRET = secrets.token_hex(16)
COMMANDS_PATH, INTERACTIONS_PATH = "/chat/slack/commands", "/chat/slack/interactions"
GOAL_ACK_P99_MS, GOAL_DECLARE_P95_S = 300, 2.0
WORKERS = {"chat": "chat", "rest": "escalation,pages,default,comms"}  # name: queues (Procfile's chat, urgent, worker)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server URL, no database")
    parser.add_argument("--database", default="vigil_bench_slack")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12", help="a Redis DB of its own (emptied)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (over 1: gthread workers)")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight (phase 2)")
    parser.add_argument("--seconds", type=float, help="length of each measured phase")
    parser.add_argument("--rounds", type=int, help="peer/Slack rounds, alternated")
    parser.add_argument("--declares", type=int, help="declares through Slack, and as many through the API")
    parser.add_argument("--users", type=int, default=50, help="linked Slack users")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    args.seconds = args.seconds or (4.0 if args.quick else 15.0)
    args.rounds = args.rounds or (2 if args.quick else 3)
    args.declares = args.declares or (10 if args.quick else 30)
    return args


# --- Signed requests -------------------------------------------------------------------------------


def signed_post(port: int, path: str, fields: dict) -> bytes:
    """A raw HTTP POST of FIELDS, form-encoded and signed as Slack signs it (v0, now)."""
    body = urlencode(fields).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {timestamp}\r\nX-Slack-Signature: v0={digest}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


class SlackMix:
    """help / ack / note / status commands and Acknowledge presses in equal shares, each unique."""

    KINDS = ("help", "ack", "note", "status", "button")

    def __init__(self, port: int, fake: FakeSlack, users: list[str], incidents: list[int], seed: int = 7):
        self.port, self.fake, self.users, self.incidents = port, fake, users, incidents
        self.random = random.Random(seed)
        self.counter = itertools.count(1)
        self.sent = dict.fromkeys(self.KINDS, 0)

    def __call__(self) -> bytes:
        n = next(self.counter)
        kind = self.KINDS[n % len(self.KINDS)]
        self.sent[kind] += 1
        user, incident = self.random.choice(self.users), self.random.choice(self.incidents)
        response_url = self.fake.response_url(f"bench{n}")  # makes each body, so each signature, unique
        if kind == "button":
            payload = {
                "type": "block_actions",
                "team": {"id": self.fake.team_id},
                "user": {"id": user},
                "channel": {"id": "CBENCH"},
                "container": {"type": "message", "channel_id": "CBENCH", "message_ts": f"{n}.000100"},
                "message": {"ts": f"{n}.000100"},
                "response_url": response_url,
                "trigger_id": f"trigger.{n}",
                "actions": [{"action_id": f"ack:{incident}", "value": str(incident), "type": "button"}],
            }
            return signed_post(self.port, INTERACTIONS_PATH, {"payload": json.dumps(payload)})
        text = {
            "help": "help",
            "ack": f"ack {incident}",
            "note": f"note {incident} checked the load balancer, request {n}",
            "status": f"status monitoring {incident}",
        }[kind]
        fields = {
            "token": "deprecated",
            "team_id": self.fake.team_id,
            "channel_id": "CBENCH",
            "user_id": user,
            "command": "/vigil",
            "text": text,
            "response_url": response_url,
            "trigger_id": f"trigger.{n}",
        }
        return signed_post(self.port, COMMANDS_PATH, fields)


# --- Set-up ----------------------------------------------------------------------------------------


def setup_django(env: dict, users: int) -> dict:
    """Migrate; make linked responders, an admin with an API key, and the incidents commands act on."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigil.settings"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.monotonic() - started:.1f} s")
    from chat.models import SlackIdentity
    from incidents.models import Severity
    from incidents.services import do_declare
    from vigil.audit import SYSTEM, Actor
    from vigil.roles import Role, assign_role
    from vigil.services import do_create_api_key

    User = get_user_model()
    slack_ids = []
    for i in range(users):
        user = User.objects.create_user(username=f"bench-responder-{i}", email=f"responder{i}@example.com")
        assign_role(user, Role.RESPONDER)
        slack_ids.append(f"U{1000 + i}")
        SlackIdentity.objects.create(user=user, slack_user_id=slack_ids[-1], team_id="T0001")
    admin = User.objects.create_user(username="bench-admin", email="admin@example.com")
    assign_role(admin, Role.ADMIN)
    _, api_key = do_create_api_key(Actor(user=admin, via="cli"), admin, "bench")
    # SEV3 without paging: no channel, no escalation; what the commands and buttons act on.
    incidents = [
        do_declare(SYSTEM, title=f"Bench target {i}", severity=Severity.SEV3, paging=False)[0].pk for i in range(5)
    ]
    return {"slack_ids": slack_ids, "api_key": api_key, "incidents": incidents}


def start_workers(env: dict, var_dir: Path) -> list[subprocess.Popen]:
    from vigil.celery import app

    workers, hostnames = [], []
    for name, queues in WORKERS.items():
        hostnames.append(f"bench-slack-{name}-{os.getpid()}@localhost")
        command = [
            str(CELERY), "-A", "vigil", "worker", "--queues", queues, "--pool", "prefork", "--concurrency", "1",
            "--hostname", hostnames[-1], "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        with (var_dir / f"worker-{name}.log").open("w") as log:
            workers.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 60
    while len(app.control.ping(destination=hostnames, timeout=0.5)) < len(hostnames):
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            sys.exit("a Celery worker did not start:\n" + (var_dir / "worker-chat.log").read_text()[-3000:])
    return workers


def purge_queues() -> int:
    from django.conf import settings

    from vigil.celery import app

    queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {settings.CELERY_TASK_DEFAULT_QUEUE}
    with app.connection_for_write() as conn:
        return sum(conn.default_channel.queue_purge(queue) or 0 for queue in queues)


# --- Phase 1: declare to card ----------------------------------------------------------------------


class PinClock:
    """The moment the fake is asked to pin each channel's card, by channel name."""

    def __init__(self, fake: FakeSlack):
        self.fake, self.pinned, self.event = fake, {}, threading.Condition()
        method = fake.methods["pins.add"]

        def pins_add(call):
            answer = method(call)
            with self.event:
                self.pinned[fake.channels[call.args.get("channel")].name] = time.perf_counter()
                self.event.notify_all()
            return answer

        fake.methods["pins.add"] = pins_add

    def wait(self, suffix: str, timeout: float = 30) -> float | None:
        """When a channel named ...SUFFIX got its pin; None after TIMEOUT seconds."""
        deadline = time.perf_counter() + timeout
        with self.event:
            while True:
                found = [at for name, at in self.pinned.items() if name.endswith(suffix)]
                if found:
                    return found[0]
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    return None
                self.event.wait(remaining)


def http_post(url: str, data: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def slack_declare(port: int, fake: FakeSlack, title: str, user: str, n: int) -> int:
    values = {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev1"}}},
        "summary": {"value": {"type": "plain_text_input", "value": "Declared by bench/slack.py."}},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": fake.team_id},
        "user": {"id": user},
        "trigger_id": f"trigger.declare.{n}",
        "view": {"id": f"VB{n}", "callback_id": "declare", "private_metadata": "{}", "state": {"values": values}},
    }
    raw = signed_post(port, INTERACTIONS_PATH, {"payload": json.dumps(payload)})
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:] if ": " in line)
    headers.pop("Host"), headers.pop("Connection"), headers.pop("Content-Length")
    return http_post(f"http://127.0.0.1:{port}{INTERACTIONS_PATH}", body, headers)


def api_declare(port: int, api_key: str, title: str) -> int:
    body = json.dumps({"title": title, "severity": "sev1", "summary": "Declared by bench/slack.py."}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"}
    return http_post(f"http://127.0.0.1:{port}/api/v1/incidents/", body, headers)


def declare_to_card(args, port: int, fake: FakeSlack, setup: dict, clock: PinClock) -> dict:
    """Slack and API declares alternating, each waited for until its card is pinned."""
    run = secrets.token_hex(3)
    times = {"slack": [], "api": [], "slack_response": [], "api_response": []}
    errors = 0
    for n in range(args.declares):
        for door in ("slack", "api"):
            slug = f"{door}-declare-{run}-{n}"
            title = slug.replace("-", " ")
            started = time.perf_counter()
            if door == "slack":
                status = slack_declare(port, fake, title, setup["slack_ids"][n % len(setup["slack_ids"])], n)
            else:
                status = api_declare(port, setup["api_key"], title)
            times[f"{door}_response"].append(time.perf_counter() - started)
            pinned = clock.wait(slug) if status in (200, 201) else None
            if pinned is None:
                errors += 1
                print(f"{door} declare {n}: answered {status}, no card pinned")
                continue
            times[door].append(pinned - started)
    return {"times": times, "errors": errors}


# --- Main ------------------------------------------------------------------------------------------


def rounds(args, port: int, mix: SlackMix, fake: FakeSlack) -> dict:
    ping = get_request(port, PING_PATH)
    asyncio.run(load(port, lambda: ping, 1.0, 10_000, args.concurrency))  # warm every worker thread
    warm = asyncio.run(load(port, mix, 1.0, 10_000, args.concurrency))
    phases = {"peer": [], "slack": []}
    replies_before, started = len(fake.responses), time.perf_counter()
    for round_ in range(1, args.rounds + 1):
        for name, next_request in (("peer", lambda: ping), ("slack", mix)):
            phases[name].append(asyncio.run(load(port, next_request, args.seconds, 1_000_000, args.concurrency)))
        rates = {name: phases[name][-1]["ok"] / phases[name][-1]["elapsed"] for name in phases}
        print(f"round {round_}: peer {rates['peer']:.0f} req/s, Slack {rates['slack']:.0f} req/s")
    replies = len(fake.responses) - replies_before
    return {
        "phases": phases,
        "warm_errors": sum(warm["errors"].values()),
        "replies_per_s": replies / (time.perf_counter() - started),
    }


def main() -> int:
    args = parse_args()
    t0 = time.monotonic()
    var_dir = Path(tempfile.mkdtemp(prefix="vigil-bench-slack-"))
    fake = FakeSlack(token=TOKEN).start()
    clock = PinClock(fake)
    port = free_port()
    env = server_environment(recreate_database(args.postgres, args.database), args.redis, port, str(var_dir))
    env.update(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.base_url)
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    processes = []
    try:
        setup = setup_django(env, args.users)
        from django.db import connections

        connections.close_all()
        purge_queues()
        log_path = var_dir / "gunicorn.log"
        processes.append(start_gunicorn(port, args.workers, args.threads, env, log_path))
        processes.extend(start_workers(env, var_dir))  # while gunicorn starts
        wait_until_serving(port, processes[0], log_path)
        print(
            f"gunicorn: {args.workers} workers x {args.threads} threads on 127.0.0.1:{port}; Celery: one process "
            f"for queue chat, one for {WORKERS['rest']}; Redis {args.redis}; setup took {time.monotonic() - t0:.1f} s"
        )
        declared = declare_to_card(args, port, fake, setup, clock)
        mix = SlackMix(port, fake, setup["slack_ids"], setup["incidents"])
        load_run = rounds(args, port, mix, fake)
        left = purge_queues()
    finally:
        for process in processes:
            stop_process(process)
        fake.stop()

    peer, slack = summarise(load_run["phases"]["peer"]), summarise(load_run["phases"]["slack"])
    times = declared["times"]
    ratio = slack["per_s"] / peer["per_s"] if peer["per_s"] else 0.0
    errors = slack["errors"] + load_run["warm_errors"] + declared["errors"]
    figures = {name: (percentile(values, 0.5), percentile(values, 0.95)) for name, values in times.items()}
    print(
        f"peer (trivial Django view): {peer['per_s']:.0f} req/s, p50 {peer['p50_ms']:.1f} ms, "
        f"p99 {peer['p99_ms']:.1f} ms, errors {peer['errors']}"
    )
    print(
        f"Slack (signed commands and buttons, {args.concurrency} concurrent): {slack['per_s']:.0f} req/s, "
        f"p50 {slack['p50_ms']:.1f} ms, p99 {slack['p99_ms']:.1f} ms, errors {slack['errors']} "
        f"{slack['error_codes'] or ''}; sent {mix.sent}"
    )
    print(f"ratio Slack/peer: {ratio:.2f}; p99 ratio {slack['p99_ms'] / peer['p99_ms']:.2f}")
    print(
        f"chat worker: {load_run['replies_per_s']:.0f} replies/s posted to response_url during the rounds; "
        f"{left} tasks left queued, purged"
    )
    for name, label in (("slack", "Slack declare to card"), ("api", "API declare to card")):
        p50, p95 = figures[name]
        r50, r95 = figures[f"{name}_response"]
        print(
            f"{label} ({len(times[name])} SEV1): p50 {p50:.2f} s, p95 {p95:.2f} s; "
            f"the request itself p50 {r50 * 1000:.0f} ms, p95 {r95 * 1000:.0f} ms"
        )
    met = slack["p99_ms"] < GOAL_ACK_P99_MS and figures["slack"][1] < GOAL_DECLARE_P95_S and errors == 0
    print(
        f"goal (ack p99 < {GOAL_ACK_P99_MS} ms, declare to card p95 < {GOAL_DECLARE_P95_S:g} s, 0 errors): "
        f"{'met' if met else 'NOT met'}"
    )
    if not args.keep_db:
        from django.db import connections

        connections.close_all()
        drop_database(args.postgres, args.database)
    redis.Redis.from_url(args.redis).flushdb()
    result = {
        "bench": "slack",
        "ack_p99_ms": round(slack["p99_ms"], 2),
        "ack_p50_ms": round(slack["p50_ms"], 2),
        "commands_per_s": round(slack["per_s"], 1),
        "peer_per_s": round(peer["per_s"], 1),
        "ratio": round(ratio, 3),
        "peer_p99_ms": round(peer["p99_ms"], 2),
        "errors": errors,
        "declare_to_card_p50_s": round(figures["slack"][0], 3),
        "declare_to_card_p95_s": round(figures["slack"][1], 3),
        "api_declare_p50_s": round(figures["api"][0], 3),
        "api_declare_p95_s": round(figures["api"][1], 3),
        "slack_response_p95_s": round(figures["slack_response"][1], 3),
        "api_response_p95_s": round(figures["api_response"][1], 3),
        "declares": args.declares,
        "chat_replies_per_s": round(load_run["replies_per_s"], 1),
        "workers": args.workers,
        "threads": args.threads,
        "concurrency": args.concurrency,
        "celery": "chat x1, escalation+pages+default+comms x1",
        "seconds_per_phase": args.seconds,
        "rounds": args.rounds,
        "quick": args.quick,
        "goal_met": met,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
