"""One public update to N stakeholders by email and SMS, through real Celery workers and the
official SendGrid and Twilio clients pointed at local fake providers, beside a naive loop.

    .venv/bin/python bench/fanout.py [--quick]

Needs PostgreSQL (127.0.0.1:5432) and Redis (db 8 by default). It makes a fresh database,
N stakeholders (each with an email and a phone, both preferred, all interested in one
component), starts the fake SendGrid and Twilio of tests/comms/fakes.py in this process and
`celery -A vigil worker` processes whose settings point the clients at them (Twilio's rate
limit off), then posts one public update through incidents.services.do_post_update. From
the post until the last row of each channel is `sent`:
  emails_10k_s, sms_10k_s  (seconds, scaled to 10,000 when N differs)
Also: requests made to each fake, peak_mb (largest sum of the worker processes' resident
sets), and the naive loop: the same client sending one email per request in sequence, for
--naive recipients, as naive_emails_per_s; ratio_vs_naive compares emails per second.
--sendgrid-latency-ms makes the fake SendGrid answer as slowly as a real API, for both.

Beside them, in the same run, the floors (issue #23): the cheapest way to do the same work.
  db_floor_s        the same rows (read back from the fan-out's own) written into the same outbox
                    table with one raw multi-row INSERT (psycopg2 execute_values), then one UPDATE
                    of them all to sent: no audience, no rendering, no claims;
  provider_floor_s  the same SendGrid requests (the bodies the fake recorded), through the same
                    official client to the same fake, as many in flight as Vigil's send tasks
                    (--workers) and nothing else.
  email_floor_ratio = email wall time / (db_floor_s + provider_floor_s)   goal under 3
  plan_floor_ratio  = planning time / db_floor_s                          goal under 2
The last line printed is JSON.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import PeakMemory, stop_process  # noqa: E402
from bench.alerts import drop_database, recreate_database, server_environment  # noqa: E402

CELERY = Path(sys.executable).parent / "celery"
SETTINGS = """from vigil.settings import *  # noqa: F403
SENDGRID_API_KEY = "SG.bench"
VIGIL_SENDGRID_API_URL = "{sendgrid}"
TWILIO_ACCOUNT_SID = "AC" + "0" * 32
TWILIO_AUTH_TOKEN = "bench"
TWILIO_FROM_NUMBER = "+15005550006"
VIGIL_TWILIO_API_URL = "{twilio}"
VIGIL_TWILIO_RATE = 0
VIGIL_TWILIO_CONCURRENCY = {concurrency}
VIGIL_COMMS_PARALLEL_SENDS = {workers}
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 recipients")
    parser.add_argument("--recipients", type=int)
    parser.add_argument("--workers", type=int, default=4, help="worker threads (one process, threads pool)")
    parser.add_argument("--twilio-concurrency", type=int, default=16, help="SMS in flight per send task")
    parser.add_argument("--naive", type=int, default=300, help="recipients for the naive loop")
    parser.add_argument(
        "--sendgrid-latency-ms",
        type=float,
        default=0.0,
        help="time the fake SendGrid takes per request, for Vigil and the naive loop alike (a real API "
        "answers in tens to hundreds of ms; the local fake in well under one)",
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="vigil_bench_fanout")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    args.recipients = args.recipients or (2000 if args.quick else 10000)
    return args


def setup(args, fakes, var_dir: Path) -> dict:
    database_url = recreate_database(args.postgres, args.database, getattr(args, "template", None))
    env = server_environment(database_url, args.redis, 8000, str(var_dir))
    (var_dir / "bench_fanout_settings.py").write_text(
        SETTINGS.format(
            sendgrid=fakes["sendgrid"].url,
            twilio=fakes["twilio"].url,
            concurrency=args.twilio_concurrency,
            workers=args.workers,
        )
    )
    env.update(DJANGO_SETTINGS_MODULE="bench_fanout_settings", PYTHONPATH=f"{var_dir}:{ROOT}")
    os.environ.update(env)
    sys.path.insert(0, str(var_dir))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def make_audience(n: int):
    from comms.models import Stakeholder
    from incidents.models import Component

    component = Component.objects.create(name="API")
    people = Stakeholder.objects.bulk_create(
        Stakeholder(name=f"P{i}", email=f"p{i}@example.com", phone=f"+1415{2000000 + i:07d}", channels=["email", "sms"])
        for i in range(n)
    )
    component.interested_stakeholders.add(*people)
    return component


# beat's comms-sweep schedule (vigil/settings/queues.py)
SWEEP_EVERY = 10.0


def wait_sent(update, timeout: float, started: float) -> dict:
    """Seconds from the post until each channel's last row is sent (or failed: counted apart)."""
    from comms.models import Notification, State
    from comms.tasks import sweep

    done: dict[str, float] = {}
    rows = Notification.objects.filter(update=update)
    swept = time.monotonic()
    while time.monotonic() - started < timeout:
        if time.monotonic() - swept >= SWEEP_EVERY:  # what beat does: retries whose back-off ended
            sweep.delay()
            swept = time.monotonic()
        total = rows.count()
        for channel in ("sendgrid", "twilio_sms"):
            mine = rows.filter(channel=channel)
            if channel not in done and total and not mine.filter(state__in=[State.QUEUED, State.SENDING]).exists():
                done[channel] = time.monotonic() - started
        if len(done) == 2:
            break
        time.sleep(0.1)
    failed = rows.filter(state=State.FAILED).count()
    fanout = type(update.fanout).objects.get(pk=update.fanout.pk)
    planned_s = (fanout.planned_at - update.created_at).total_seconds() if fanout.planned_at else None
    return {"done": done, "failed": failed, "rows": rows.count(), "planned_s": planned_s}


def wait_ready(worker, hostname: str, timeout: float = 120) -> None:
    """Until the worker answers a ping: on a loaded machine it takes longer to start than any fixed
    wait, and planning_s would then count its start (the task waits in the broker meanwhile)."""
    from vigil.celery import app

    deadline = time.monotonic() + timeout
    while not app.control.ping(destination=[hostname], timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the comms worker did not start")


def naive_loop(fake, n: int) -> float:
    """One request per recipient, in sequence: what a plain loop over the official client does."""
    from sendgrid import SendGridAPIClient

    client = SendGridAPIClient("SG.bench", host=fake.url)
    started = time.monotonic()
    for i in range(n):
        client.send(
            {
                "from": {"email": "vigil@example.com"},
                "subject": "API errors",
                "content": [{"type": "text/plain", "value": "Investigating"}],
                "personalizations": [{"to": [{"email": f"naive{i}@example.com"}]}],
            }
        )
    return n / (time.monotonic() - started)


def db_floor(update) -> float:
    """Seconds to INSERT the rows UPDATE's fan-out wrote, as one raw bulk statement, and mark them all sent
    with one UPDATE: the database work no fan-out can avoid. The copy goes under a second update (made
    with the ORM, so no fan-out is planned for it) and is deleted afterwards, untimed."""
    from django.db import connection, transaction
    from django.utils import timezone
    from psycopg2.extras import execute_values

    from comms.models import Notification
    from incidents.models import IncidentUpdate

    columns = ("stakeholder_id", "endpoint_id", "subscriber_id", "medium", "channel", "destination", "subject", "body")
    rows = list(Notification.objects.filter(update=update).values_list(*columns))
    twin = IncidentUpdate.objects.create(incident=update.incident, status=update.status, message=update.message)
    table = Notification._meta.db_table
    fixed = ("state", "attempts", "next_attempt_at", "provider_id", "ack_code", "error", "note")
    fixed += ("created_at", "updated_at")
    insert = f"INSERT INTO {table} (update_id, {', '.join(columns + fixed)}) VALUES %s"
    mark_sent = f"UPDATE {table} SET state = 'sent', sent_at = now(), updated_at = now() WHERE update_id = %s"
    started = time.monotonic()
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        values = [(twin.pk, *row, "queued", 0, now, "", "", "", "", now, now) for row in rows]
        execute_values(cursor.cursor, insert, values, page_size=1000)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(mark_sent, [twin.pk])
    elapsed = time.monotonic() - started
    Notification.objects.filter(update=twin).delete()
    twin.delete()
    return elapsed


def provider_floor(fake, bodies: list[bytes], concurrency: int) -> float:
    """Seconds to make the requests BODIES again to FAKE with the official client, CONCURRENCY at a time."""
    from concurrent.futures import ThreadPoolExecutor

    from sendgrid import SendGridAPIClient

    mails = [json.loads(body) for body in bodies]

    def post(mail):
        SendGridAPIClient("SG.bench", host=fake.url).client.mail.send.post(request_body=mail)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(mails)))) as pool:
        list(pool.map(post, mails))
    return time.monotonic() - started


def floor_ratio(measured: float | None, floor: float) -> float:
    return round(measured / floor, 2) if measured and floor else float("nan")


def main():
    from tests.comms.fakes import FakeSendGrid, FakeTwilio

    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="vigil-bench-fanout-"))
    fakes = {"sendgrid": FakeSendGrid().start(), "twilio": FakeTwilio().start()}
    fakes["sendgrid"].delay = args.sendgrid_latency_ms / 1000
    worker = None
    try:
        env = setup(args, fakes, var_dir)
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        component = make_audience(args.recipients)
        log = open(var_dir / "worker.log", "w")  # noqa: SIM115 - closed with the worker
        queues = "default,comms"
        hostname = f"bench-fanout-{os.getpid()}@localhost"
        command = [str(CELERY), "-A", "vigil", "worker", "-Q", queues, "-P", "threads", "-c", str(args.workers)]
        command += ["--hostname", hostname, "--without-gossip", "--without-mingle"]
        worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        memory = PeakMemory([worker.pid])
        memory.start()
        wait_ready(worker, hostname)

        from incidents.services import do_declare, do_post_update
        from vigil.audit import SYSTEM

        incident, _ = do_declare(SYSTEM, title="API errors", components=[component])
        started = time.monotonic()
        update = do_post_update(SYSTEM, incident, "investigating", "We are looking into errors on the API.")
        outcome = wait_sent(update, args.timeout, started)
        memory.stop()
        scale = 10000 / args.recipients
        emails_s = outcome["done"].get("sendgrid", float("nan"))
        sms_s = outcome["done"].get("twilio_sms", float("nan"))
        vigil_mails = [r.body for r in fakes["sendgrid"].requests]
        db_floor_s = db_floor(update)
        provider_floor_s = provider_floor(fakes["sendgrid"], vigil_mails, args.workers)
        naive = naive_loop(fakes["sendgrid"], args.naive)
        result = {
            "recipients": args.recipients,
            "rows": outcome["rows"],
            "planned_s": round(outcome["planned_s"] or float("nan"), 2),
            "failed": outcome["failed"],
            "emails_10k_s": round(emails_s * scale, 2),
            "sms_10k_s": round(sms_s * scale, 2),
            "sendgrid_requests": len(vigil_mails),
            "twilio_requests": len(fakes["twilio"].requests),
            "peak_mb": round(memory.peak / 2**20, 1),
            "naive_emails_per_s": round(naive, 1),
            "emails_per_s": round(args.recipients / emails_s, 1),
            "ratio_vs_naive": round(args.recipients / emails_s / naive, 1),
            "sendgrid_latency_ms": args.sendgrid_latency_ms,
            "db_floor_s": round(db_floor_s, 3),
            "provider_floor_s": round(provider_floor_s, 3),
            "email_floor_ratio": floor_ratio(emails_s, db_floor_s + provider_floor_s),
            "plan_floor_ratio": floor_ratio(outcome["planned_s"], db_floor_s),
        }
        print(json.dumps(result))
    finally:
        if worker is not None:
            stop_process(worker)
        for fake in fakes.values():
            fake.stop()
        from django.db import connections

        connections.close_all()
        drop_database(args.postgres, args.database)


if __name__ == "__main__":
    main()
