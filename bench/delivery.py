"""Pages by Web Push, ntfy and SMS through real Celery workers on PostgreSQL, to local fakes with a
set latency; then SMS failover from a broken Twilio to Vonage (issue #19's performance section).

    .venv/bin/python bench/delivery.py [--quick]

Needs PostgreSQL (127.0.0.1:5432) and Redis (db 6 by default, emptied). It makes a fresh database
and, in this process, the fakes of bench/_delivery_fakes.py (the tests' fake push service, which
checks each VAPID JWT and decrypts each message; a fake ntfy; the fake Twilio; the fake Vonage over
TLS), each answering after --latency-ms. The worker is the Procfile's `urgent` one, as it is there:
`celery -A vigil worker --concurrency 2 --queues escalation,pages` (prefork), and a thread of this
process queues comms.tasks.sweep_pages every 5 s, as beat does (the page lane's retries).

Each run makes N responders with one notification rule of its medium (push: one device each; ntfy:
a topic each on the fake ntfy; SMS: a phone each), declares one SEV1 incident and pages them one
after another through incidents.paging.page() in a transaction each, as an escalation step does (the
page is planned and its send queued on commit). Per page: from the moment just before page() to the
moment the fake accepted it. Runs, in order: push, ntfy, sms (Twilio alone, its default rate of
VIGIL_TWILIO_RATE messages a second unless --twilio-rate), failover (VIGIL_SMS_PROVIDERS=twilio,vonage
while Twilio answers 500 to everything, or refuses connections with --twilio-down refused).

Figures: p50/p95/max per run, failover_1k_s (first page requested to the last SMS accepted by Vonage,
scaled to 1,000 when N differs), lost (pages no fake accepted before --timeout), duplicates (a
destination accepted twice by one fake, or by Twilio and Vonage both), misrouted (a push or ntfy
message whose page is not the one of its device or topic). The last line printed is JSON.
"""

import argparse
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import PeakMemory, percentile, stop_process  # noqa: E402
from bench.alerts import drop_database, recreate_database, server_environment  # noqa: E402

CELERY = Path(sys.executable).parent / "celery"
SUBJECT = "mailto:oncall-admin@example.com"
SETTINGS = """from vigil.settings import *  # noqa: F403
TWILIO_ACCOUNT_SID = "AC" + "0" * 32
TWILIO_AUTH_TOKEN = "bench"
TWILIO_FROM_NUMBER = "+15005550006"
VIGIL_TWILIO_API_URL = "{twilio}"
{twilio_rate}
VONAGE_API_KEY = "vonage-key"
VONAGE_API_SECRET = "vonage-secret"
VONAGE_FROM = "Vigil"
VIGIL_VONAGE_REST_HOST = "{vonage}"
VIGIL_SMS_PROVIDERS = ["twilio", "vonage"]
VIGIL_VAPID_SUBJECT = "{subject}"
"""
GOALS = {"push_p95_s": 2.0, "ntfy_p95_s": 2.0, "failover_1k_s": 30.0}
SWEEP_PAGES_EVERY = 5.0  # beat's comms-sweep-pages (vigil/settings/queues.py)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 pages a run instead of 1,000")
    parser.add_argument("--pages", type=int, help="pages a run")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="each fake's time to answer")
    parser.add_argument("--twilio-rate", type=float, help="VIGIL_TWILIO_RATE (default: the setting's default)")
    parser.add_argument("--twilio-down", choices=["500", "refused"], default="500", help="Twilio in the failover run")
    parser.add_argument("--only", default="push,ntfy,sms,failover", help="runs to make, comma-separated")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="vigil_bench_delivery")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6", help="a Redis DB of its own (emptied)")
    parser.add_argument("--timeout", type=float, help="seconds a run may take (default 60 quick, 300 full)")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    args.pages = args.pages or (60 if args.quick else 1000)
    args.timeout = args.timeout or (60.0 if args.quick else 300.0)
    return args


def tls_for_vonage(var_dir: Path) -> ssl.SSLContext:
    """A CA of this run's own: the fake Vonage serves with its certificate, the worker trusts it."""
    import trustme

    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(var_dir / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def setup(args, fakes, var_dir: Path) -> dict:
    env = server_environment(recreate_database(args.postgres, args.database), args.redis, 8000, str(var_dir))
    rate = "" if args.twilio_rate is None else f"VIGIL_TWILIO_RATE = {args.twilio_rate}"
    (var_dir / "bench_delivery_settings.py").write_text(
        SETTINGS.format(
            twilio=fakes["twilio"].url,
            twilio_rate=rate,
            vonage=f"127.0.0.1:{fakes['vonage'].server.server_address[1]}",
            subject=SUBJECT,
        )
    )
    env.update(
        DJANGO_SETTINGS_MODULE="bench_delivery_settings",
        PYTHONPATH=f"{var_dir}:{ROOT}",
        REQUESTS_CA_BUNDLE=str(var_dir / "ca.pem"),
    )
    os.environ.update(env)
    sys.path.insert(0, str(var_dir))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    return env


def start_worker(env: dict, var_dir: Path) -> subprocess.Popen:
    """The Procfile's `urgent` worker."""
    from vigil.celery import app

    hostname = f"urgent-bench-{os.getpid()}@localhost"
    command = [
        str(CELERY), "-A", "vigil", "worker",
        "--loglevel", "WARNING",
        "--concurrency", "2",
        "--queues", "escalation,pages",
        "--hostname", hostname,
    ]  # fmt: skip
    with (var_dir / "worker.log").open("w") as log:
        worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[hostname], timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the worker did not start:\n" + (var_dir / "worker.log").read_text()[-3000:])
    return worker


class Beat(threading.Thread):
    """Queues comms.tasks.sweep_pages every 5 s, as beat does: the page lane's retries after back-off."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()

    def run(self):
        from vigil.queue import enqueue

        while not self.stopping.wait(SWEEP_PAGES_EVERY):
            enqueue("comms.tasks.sweep_pages", on_commit=False, expires=SWEEP_PAGES_EVERY)

    def stop(self):
        self.stopping.set()
        self.join()


def make_responders(prefix: str, n: int) -> list:
    from django.contrib.auth import get_user_model

    from vigil.roles import Role, assign_role

    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", password="!") for i in range(n)
    )
    for user in users:
        assign_role(user, Role.RESPONDER)
    return users


def prepare(medium: str, users: list, fakes: dict, phone_base: int) -> dict:
    """Each user's medium and destination; returns destination -> user id."""
    from comms.models import Contact, NotificationRule, NtfyTarget, PushSubscription

    rule = {"push": "push", "ntfy": "ntfy"}.get(medium, "sms")
    NotificationRule.objects.bulk_create(NotificationRule(user=u, medium=rule, delay_minutes=0) for u in users)
    keys = {}
    for i, user in enumerate(users):
        if medium == "push":
            info = fakes["push"].device(f"u{user.pk}").subscription_json()
            PushSubscription.objects.create(
                user=user, endpoint=info["endpoint"], p256dh=info["keys"]["p256dh"], auth=info["keys"]["auth"]
            )
            keys[f"u{user.pk}"] = user.pk
        elif medium == "ntfy":
            NtfyTarget.objects.create(user=user, server=fakes["ntfy"].url, topic=f"bench-pages-{user.pk}")
            keys[f"bench-pages-{user.pk}"] = user.pk
        else:
            phone = f"+1415{phone_base + i:07d}"
            Contact.objects.create(user=user, phone=phone)
            keys[phone] = user.pk
    return keys


def page_all(users: list, keys: dict, medium: str) -> tuple[dict, dict, float]:
    """Page every user about one new SEV1 incident; the time.time() each page was requested at."""
    from django.db import transaction

    from incidents import paging
    from incidents.services import do_declare
    from vigil.audit import SYSTEM

    incident, _ = do_declare(SYSTEM, title=f"Bench: pages by {medium}", severity="sev1")
    by_user = {pk: key for key, pk in keys.items()}
    requested, pages = {}, {}
    started = time.monotonic()
    for user in users:
        requested[by_user[user.pk]] = time.time()
        with transaction.atomic():
            pages[by_user[user.pk]] = paging.page(user, incident).pk
    return requested, pages, time.monotonic() - started


def wait_accepted(fakes_for: list, keys, timeout: float, started: float, worker) -> None:
    while time.monotonic() - started < timeout:
        if worker.poll() is not None:
            raise RuntimeError("the worker exited")
        if sum(fake.count(keys) for fake in fakes_for) >= len(keys):
            break
        time.sleep(0.05)
    time.sleep(0.5)  # a late second copy counts as a duplicate


def misrouted(medium: str, fakes: dict, pages: dict) -> int:
    """Messages that name another page than the one of their device or topic."""
    from urllib.parse import urlsplit

    from incidents import paging

    wrong = 0
    for key, page_id in pages.items():
        if medium == "push":
            found = [p["page"] for p in fakes["push"].payloads(key)]
        else:
            actions = [a for m in fakes["ntfy"].messages.get(key, []) for a in m["actions"]]
            urls = [a["url"] for a in actions if a["action"] == "http"]
            found = [paging.read_ack_token(urlsplit(u).path.rstrip("/").rsplit("/", 1)[-1]) for u in urls]
        wrong += sum(1 for p in found if p != page_id)
    return wrong


def run(medium: str, args, fakes: dict, worker, phone_base: int = 3000000) -> dict:
    from django.conf import settings

    from comms.models import Notification, State

    settings.VIGIL_SMS_PROVIDERS = ["twilio", "vonage"] if medium == "failover" else ["twilio"]
    takers = {"push": [fakes["push"]], "ntfy": [fakes["ntfy"]], "sms": [fakes["twilio"]]}
    takers["failover"] = [fakes["vonage"], fakes["twilio"]]
    users = make_responders(f"{medium}-", args.pages)
    keys = prepare(medium, users, fakes, phone_base)
    started = time.monotonic()
    requested, pages, request_s = page_all(users, keys, medium)
    wait_accepted(takers[medium], keys, args.timeout, started, worker)
    first = {}
    for key in keys:
        times = [t for t in (fake.first(key) for fake in takers[medium]) if t is not None]
        if times:
            first[key] = min(times)
    latencies = [first[key] - requested[key] for key in first]
    duplicates = sum(f.duplicates(keys) for f in takers[medium])
    if medium == "failover":  # accepted by both providers
        duplicates += sum(1 for key in keys if all(f.first(key) is not None for f in takers[medium]))
    rows = Notification.objects.filter(page_id__in=pages.values())
    result = {
        "pages": len(keys),
        "request_s": round(request_s, 2),
        "p50_s": round(percentile(latencies, 0.50), 3),
        "p95_s": round(percentile(latencies, 0.95), 3),
        "max_s": round(max(latencies, default=float("nan")), 3),
        "all_accepted_s": round(max(first.values()) - min(requested.values()), 2) if first else None,
        "lost": len(keys) - len(first),
        "duplicates": duplicates,
        "rows_not_sent": rows.exclude(state__in=[State.SENT, State.DELIVERED]).count(),
        "rows_tried_again": rows.filter(attempts__gt=1).count(),
    }
    if medium in ("push", "ntfy"):
        result["misrouted"] = misrouted(medium, fakes, pages)
    if medium == "failover":
        result["by_vonage"] = fakes["vonage"].count(keys)
        result["twilio_requests"] = sum(1 for r in fakes["twilio"].requests if r.form.get("To") in keys)
    return result


def report(runs: dict, args) -> dict:
    for medium, figures in runs.items():
        print(f"{medium:9} " + "  ".join(f"{k}={v}" for k, v in figures.items()))
    summary = {
        "pages": args.pages,
        "latency_ms": args.latency_ms,
        "push_p95_s": runs.get("push", {}).get("p95_s"),
        "ntfy_p95_s": runs.get("ntfy", {}).get("p95_s"),
        "sms_p95_s": runs.get("sms", {}).get("p95_s"),
        "failover_1k_s": None,
        "failover_p95_s": runs.get("failover", {}).get("p95_s"),
        "twilio_down": args.twilio_down,
        "lost": sum(r["lost"] for r in runs.values()),
        "duplicates": sum(r["duplicates"] for r in runs.values()),
        "misrouted": sum(r.get("misrouted", 0) for r in runs.values()),
    }
    if runs.get("failover", {}).get("all_accepted_s") is not None and not runs["failover"]["lost"]:
        summary["failover_1k_s"] = round(runs["failover"]["all_accepted_s"] * 1000 / args.pages, 2)
    for name, goal in GOALS.items():
        value = summary[name]
        verdict = "not measured" if value is None else ("met" if value < goal else "NOT met")
        scope = "" if args.pages == 1000 else f" (at {args.pages} pages: the goal is for 1,000)"
        print(f"goal {name} < {goal:g} s: {value} -> {verdict}{scope}")
    return summary


def main():
    from bench._delivery_fakes import Ntfy, PushService, Twilio, Vonage

    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="vigil-bench-delivery-"))
    latency = args.latency_ms / 1000
    fakes = {"push": PushService(SUBJECT, latency).start(), "ntfy": Ntfy().start(), "twilio": Twilio().start()}
    fakes["vonage"] = Vonage().start(tls=tls_for_vonage(var_dir))
    for name in ("ntfy", "twilio", "vonage"):
        fakes[name].delay = latency
    worker = beat = memory = None
    try:
        env = setup(args, fakes, var_dir)
        worker = start_worker(env, var_dir)
        memory = PeakMemory([worker.pid])
        memory.start()
        beat = Beat()
        beat.start()
        runs = {}
        for medium in args.only.split(","):
            if medium == "failover":
                if args.twilio_down == "refused":
                    fakes["twilio"].stop()  # its port now refuses connections
                else:
                    fakes["twilio"].down_status = 500
            runs[medium] = run(medium, args, fakes, worker, phone_base=4000000 if medium == "failover" else 3000000)
        summary = report(runs, args)
        summary["peak_worker_mb"] = round(memory.peak / 2**20, 1)
        summary["push_service_errors"] = len(fakes["push"].errors)
        print(f"worker: urgent (prefork, concurrency 2, queues escalation,pages); peak {summary['peak_worker_mb']} MB")
        print(json.dumps(summary))
    finally:
        if beat is not None:
            beat.stop()
        if memory is not None:
            memory.stop()
        if worker is not None:
            stop_process(worker)
        for fake in fakes.values():
            fake.stop()
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            drop_database(args.postgres, args.database)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
