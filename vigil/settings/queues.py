"""Celery: the broker, the queue each task goes to, beat's schedule and every task's time limits."""

from vigil.settings.environment import REDIS_URL, VAR_DIR, env

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # The embedded broker: kombu's SQLAlchemy transport on a SQLite file of its own. A message is a
    # row written in one transaction and taken under BEGIN IMMEDIATE, so a reader never sees half a
    # message (kombu's filesystem transport could: a worker died on a half-written file). Taken
    # messages are kept by kombu; vigil.tasks.purge_embedded_broker deletes them hourly.
    CELERY_BROKER_URL = f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 30}}  # passed to create_engine()
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "vigil.tasks.*": {"queue": "default"},
    # Pages must not wait behind bulk work: escalation has its own queue.
    # Alert repeats are a counter flush, not a page: they stay off the escalation queue.
    "incidents.tasks.flush_alert_repeats": {"queue": "default"},
    # Deleting old change events is bulk upkeep: it must never hold an escalation slot.
    "incidents.tasks.purge_change_events": {"queue": "default"},
    "incidents.tasks.*": {"queue": "escalation"},
    # Probe batches go to their own queue, so a fleet of probe workers can scale out.
    "monitoring.tasks.run_checks": {"queue": env.str("VIGIL_PROBE_QUEUE", default="probes")},
    # Browser checks take seconds each in Chromium: their own queue and worker, so no probe batch waits behind one.
    "monitoring.tasks.run_browser_checks": {"queue": "browser"},
    "monitoring.tasks.*": {"queue": "default"},
    "monitoring.rollup_tasks.*": {"queue": "default"},
    "reputation.tasks.*": {"queue": "default"},
    # Pages are sent by their own task on their own queue (the page lane, comms.outbox), served with
    # escalation by a worker of their own (Procfile, docker-compose.yml: "urgent"): no fan-out,
    # webhook, digest or reminder on the comms queue can delay one. The page lane's sweeper and
    # kick (which a retry by hand queues) are quick and must run even when every comms slot is busy.
    "comms.tasks.send_pages": {"queue": "pages"},
    "comms.tasks.sweep_pages": {"queue": "pages"},
    "comms.tasks.kick": {"queue": "pages"},
    # Bulk sends wait on providers' APIs: their own queue keeps them from delaying anything else.
    "comms.tasks.*": {"queue": "comms"},
    # What a Slack user asked for, and the incident channels and cards, run on a queue and a worker of
    # their own (Procfile "chat"): a person is waiting, and
    # neither bulk work nor pages share it. Slack calls never sleep in a worker: a task is retried instead.
    "chat.tasks.*": {"queue": "chat"},
    "dr_plans.tasks.*": {"queue": "default"},
    "postmortems.tasks.*": {"queue": "default"},
    "comms.status.tasks.*": {"queue": "default"},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "vigil.tasks.record_heartbeat", "schedule": 30.0},
    # The embedded broker keeps every message a worker took: delete them hourly (a no-op on Redis).
    "embedded-broker-purge": {
        "task": "vigil.tasks.purge_embedded_broker",
        "schedule": 3600.0,
        "options": {"expires": 3600},
    },
    # Slack incident channels resolved VIGIL_SLACK_ARCHIVE_AFTER_HOURS ago; safe to repeat.
    "chat-archive-channels": {
        "task": "chat.tasks.archive_channels",
        "schedule": 600.0,
        "options": {"expires": 600},
    },
    "escalation-sweep": {"task": "incidents.tasks.escalate_due", "schedule": 15.0},
    # Hands out due monitors; safe to run from two beat processes at once.
    "monitoring-dispatch": {"task": "monitoring.tasks.dispatch", "schedule": 1.0, "options": {"expires": 5}},
    # Opens (and resolves) the incident of a probe agent that went silent; safe to repeat.
    "monitoring-watch-agents": {
        "task": "monitoring.tasks.watch_agents",
        "schedule": 30.0,
        "options": {"expires": 30},
    },
    "monitoring-roll-up": {"task": "monitoring.rollup_tasks.roll_up", "schedule": 300.0, "options": {"expires": 300}},
    "monitoring-purge": {"task": "monitoring.rollup_tasks.purge", "schedule": 3600.0, "options": {"expires": 3600}},
    # Change events older than VIGIL_CHANGE_RETENTION_DAYS; safe to repeat.
    "change-events-purge": {
        "task": "incidents.tasks.purge_change_events",
        "schedule": 3600.0,
        "options": {"expires": 3600},
    },
    # Repeated alerts are counted in Redis and written to the database in one statement.
    "alert-repeats-flush": {"task": "incidents.tasks.flush_alert_repeats", "schedule": 5.0, "options": {"expires": 10}},
    # Sends what is due: retries whose back-off ended, rows whose sender died.
    "comms-sweep": {"task": "comms.tasks.sweep", "schedule": 10.0, "options": {"expires": 10}},
    # The same for the page lane, on the pages queue: a page's retry or delayed rule never waits on the comms queue.
    "comms-sweep-pages": {"task": "comms.tasks.sweep_pages", "schedule": 5.0, "options": {"expires": 5}},
    # Reminds the commander of an open SEV1/SEV2 that owes a public update.
    "comms-update-reminders": {"task": "comms.tasks.remind_updates", "schedule": 60.0, "options": {"expires": 60}},
    "reputation-poll-feeds": {
        "task": "reputation.tasks.poll_feeds",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "reputation-detect-spikes": {
        "task": "reputation.tasks.detect_spikes",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
    # The status page's snapshot, rebuilt after every change and each minute for the uptime bars.
    "status-page-rebuild": {
        "task": "comms.status.tasks.rebuild_status_page",
        "schedule": 60.0,
        "options": {"expires": 60},
    },
    "status-maintenance-advance": {
        "task": "comms.status.tasks.advance_maintenances",
        "schedule": 15.0,
        "options": {"expires": 15},
    },
    "dr-review-reminders": {"task": "dr_plans.tasks.remind_reviews", "schedule": 3600.0, "options": {"expires": 3600}},
    # Mails owners of action items due soon or overdue; safe to repeat (one reminder per step).
    "action-item-reminders": {
        "task": "postmortems.tasks.remind_action_items",
        "schedule": 3600.0,
        "options": {"expires": 3600},
    },
    # Sends each report digest's last complete week or month once (postmortems.digest); safe to repeat.
    "report-digests": {
        "task": "postmortems.tasks.send_report_digests",
        "schedule": 3600.0,
        "options": {"expires": 3600},
    },
}
# Time limits (seconds) on every task, so nothing holds a worker slot for long: at the soft limit
# the task gets SoftTimeLimitExceeded and stops cleanly (a send records what it heard and puts the
# rows it still holds back in the queue: comms.outbox.deliver); at the hard limit the worker
# process running it is killed and replaced (rows it held go back after VIGIL_COMMS_SENDING_LEASE).
# Enforced by the prefork pool (the Procfile's and docker-compose's workers). tests/test_celery.py
# checks that every task has both limits, the soft one first.
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
# Tasks that legitimately run longer (or must give a slot back sooner), by name. Celery applies
# these as task attributes; the two above cover every task not named here.
CELERY_TASK_ANNOTATIONS = {
    # A page send holds an urgent slot: short, and its rows go back to the queue at the soft limit.
    "comms.tasks.send_pages": {"soft_time_limit": 30, "time_limit": 45},
    # Planning a fan-out writes a row per recipient and channel, in one transaction: 0.18 ms a recipient
    # on a quiet machine, 1 ms on a busy one (bench/scaling.py), so 1,000,000 recipients take up to
    # 1,000 s. Under the Redis broker's visibility timeout (3,600 s), so a planning task is never
    # delivered twice while it runs.
    "comms.tasks.fan_out": {"soft_time_limit": 1800, "time_limit": 1900},
    "comms.tasks.plan_notice": {"soft_time_limit": 1800, "time_limit": 1900},
    # A probe batch may take up to the dispatcher's 120 s lease (monitors time out after at most 60 s).
    "monitoring.tasks.run_checks": {"soft_time_limit": 150, "time_limit": 180},
    "monitoring.tasks.run_browser_checks": {"soft_time_limit": 150, "time_limit": 180},
    "monitoring.rollup_tasks.roll_up": {"soft_time_limit": 240, "time_limit": 290},
    "monitoring.rollup_tasks.purge": {"soft_time_limit": 900, "time_limit": 1200},
    "incidents.tasks.purge_change_events": {"soft_time_limit": 900, "time_limit": 1200},
    # Up to VIGIL_REPUTATION_POLL_CONCURRENCY feeds at once, each with its own deadline.
    "reputation.tasks.poll_feeds": {"soft_time_limit": 240, "time_limit": 300},
    "reputation.tasks.detect_spikes": {"soft_time_limit": 120, "time_limit": 150},
    "comms.status.tasks.rebuild_status_page": {"soft_time_limit": 120, "time_limit": 150},
    # Report figures per digest (the report itself is 8 queries, ~0.25 s on 100,000 incidents) and reminders.
    "postmortems.tasks.send_report_digests": {"soft_time_limit": 600, "time_limit": 720},
    "postmortems.tasks.remind_action_items": {"soft_time_limit": 300, "time_limit": 360},
    "dr_plans.tasks.remind_reviews": {"soft_time_limit": 300, "time_limit": 360},
}
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
