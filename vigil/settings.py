"""Vigil's one settings module, driven by the environment.

Every variable read here is listed, with its default, in README.md. A bad value
fails loudly at start-up (django-environ raises ImproperlyConfigured).
"""

import re
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is honoured for development; the real environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("VIGIL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)


def _secret(name: str, default: str | None = None) -> str | None:
    """Read NAME from the environment, or from the file named by NAME_FILE."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


def _development_secret_key() -> str:
    """Generate a key once and keep it under var/, so sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    SECRET_KEY = _development_secret_key()
# Rotating the key (issue #14): the old key goes here, comma-separated (or one a line in the _FILE),
# while the new one signs. Links and sessions it signed keep working until they are dropped from it.
SECRET_KEY_FALLBACKS = [
    key.strip() for key in (_secret("SECRET_KEY_FALLBACKS", default="") or "").replace("\n", ",").split(",")
]
SECRET_KEY_FALLBACKS = [key for key in SECRET_KEY_FALLBACKS if key]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
VIGIL_BASE_URL = env.str("VIGIL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[VIGIL_BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_celery_beat",
    "axes",
    # Sign-in and the public edge (issue #14): TOTP two-factor with backup codes, and the CSP header.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    # Vigil. The order is the order of dependencies: each app may use those above it.
    "vigil",
    "incidents",
    "monitoring",
    "reputation",
    "comms",
    "postmortems",
    "dr_plans",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy (vigil.csp): before the status page's middleware, so its early answers get it too.
    "vigil.csp.CSPMiddleware",
    # The public status page's snapshot documents, answered before the rest of the stack.
    "comms.status.middleware.StatusSnapshotMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Two-factor (vigil.twofactor): which device verified this session; a session that owes a code is anonymous.
    "django_otp.middleware.OTPMiddleware",
    "vigil.twofactor.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vigil.middleware.TimezoneMiddleware",
    "vigil.audit.AuditContextMiddleware",
    # Axes last: it reads the outcome of authentication (django-axes docs).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vigil.urls"
WSGI_APPLICATION = "vigil.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vigil.context_processors.vigil",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'vigil.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; a busy timeout
    # turns "database is locked" into a short wait.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file, not shared-cache memory: threads (a live server, a Celery
    # worker) then wait on SQLite's busy timeout instead of failing with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-vigil.sqlite3")}
else:
    # Opening a PostgreSQL connection costs ~9 ms here (DESIGN.md): keep them.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A dropped connection is noticed before a request uses it, at one "SELECT 1" a request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # The file cache is shared by every process of one machine (locmem is not).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

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
    "incidents.tasks.*": {"queue": "escalation"},
    # Probe batches go to their own queue, so a fleet of probe workers can scale out.
    "monitoring.tasks.run_checks": {"queue": env.str("VIGIL_PROBE_QUEUE", default="probes")},
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
    "escalation-sweep": {"task": "incidents.tasks.escalate_due", "schedule": 15.0},
    # Hands out due monitors; safe to run from two beat processes at once.
    "monitoring-dispatch": {"task": "monitoring.tasks.dispatch", "schedule": 1.0, "options": {"expires": 5}},
    "monitoring-roll-up": {"task": "monitoring.rollup_tasks.roll_up", "schedule": 300.0, "options": {"expires": 300}},
    "monitoring-purge": {"task": "monitoring.rollup_tasks.purge", "schedule": 3600.0, "options": {"expires": 3600}},
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
    # Planning a fan-out writes a row per recipient and channel (20,000 rows took 1.8 s; allow 100x).
    "comms.tasks.fan_out": {"soft_time_limit": 300, "time_limit": 360},
    "comms.tasks.plan_notice": {"soft_time_limit": 300, "time_limit": 360},
    # A probe batch may take up to the dispatcher's 120 s lease (monitors time out after at most 60 s).
    "monitoring.tasks.run_checks": {"soft_time_limit": 150, "time_limit": 180},
    "monitoring.rollup_tasks.roll_up": {"soft_time_limit": 240, "time_limit": 290},
    "monitoring.rollup_tasks.purge": {"soft_time_limit": 900, "time_limit": 1200},
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
# A worker is "alive" on the System page if it wrote a heartbeat this recently.
VIGIL_HEARTBEAT_STALE_AFTER = timedelta(seconds=env.int("VIGIL_HEARTBEAT_STALE_AFTER", default=120))

# --- Incidents ------------------------------------------------------------------------
# War room links made for each new incident (issue #15). Empty, the default: no bridge until one is
# configured (the old default, a public Jitsi room named after the incident's title, let anyone who
# guessed the name join). {token} is an unguessable name made for each incident (128 random bits);
# {id} and {slug} (from the title) are there for who wants them. Checked at start-up.
VIGIL_BRIDGE_URL_TEMPLATE = env.str("VIGIL_BRIDGE_URL_TEMPLATE", default="")
VIGIL_CHAT_URL_TEMPLATE = env.str("VIGIL_CHAT_URL_TEMPLATE", default="")
for _name in ("VIGIL_BRIDGE_URL_TEMPLATE", "VIGIL_CHAT_URL_TEMPLATE"):
    try:
        globals()[_name].format_map({"id": 1, "slug": "incident", "token": "sample"})
    except (KeyError, IndexError, ValueError) as _exc:
        raise ImproperlyConfigured(f"{_name}: use only {{id}}, {{slug}} and {{token}} ({_exc!r}).") from None
# How long the one-click acknowledge link in a page stays valid.
VIGIL_ACK_LINK_MAX_AGE = env.int("VIGIL_ACK_LINK_MAX_AGE", default=24 * 3600)

# --- Monitoring -----------------------------------------------------------------------
# Which addresses probes may reach: VIGIL_PROBE_ALLOWED_NETWORKS, under "Outgoing connections".
# The Celery queue probe batches go to, how many monitors a batch holds, and how many probes
# one batch runs at once (each on its own connection).
VIGIL_PROBE_QUEUE = env.str("VIGIL_PROBE_QUEUE", default="probes")
VIGIL_PROBE_BATCH_SIZE = env.int("VIGIL_PROBE_BATCH_SIZE", default=250)
VIGIL_PROBE_CONCURRENCY = env.int("VIGIL_PROBE_CONCURRENCY", default=200)
# --- issue #15, monitors part: how often one person may run *Test* / *Test now* (count/period, per
# user; empty: no limit). Each test is a real probe, under the probes' own address rule.
VIGIL_MONITOR_TEST_RATE = env.str("VIGIL_MONITOR_TEST_RATE", default="20/m")
if VIGIL_MONITOR_TEST_RATE and not re.fullmatch(r"[0-9]+/[0-9]*[smhd][a-z]*", VIGIL_MONITOR_TEST_RATE):
    raise ImproperlyConfigured(f"VIGIL_MONITOR_TEST_RATE={VIGIL_MONITOR_TEST_RATE!r}: expected e.g. 20/m.")
# --- end of the monitors part
# Raw check results are kept this many days; hourly and daily rollups are kept for good.
VIGIL_RESULT_RETENTION_DAYS = max(1, env.int("VIGIL_RESULT_RETENTION_DAYS", default=7))
# /metrics (Prometheus exposition) asks for "Authorization: Bearer <token>" when this is set.
VIGIL_METRICS_TOKEN = _secret("VIGIL_METRICS_TOKEN", default="")

# --- Public status page ---------------------------------------------------------------
# The page's public URL, used in messages and feeds. Empty: VIGIL_BASE_URL + "/status/".
VIGIL_STATUS_URL = env.str("VIGIL_STATUS_URL", default="")
# Where the snapshot file lives. Empty: VIGIL_VAR_DIR/status.
VIGIL_STATUS_DIR = env.str("VIGIL_STATUS_DIR", default="")
# Days of incident history and of uptime bars the page shows.
VIGIL_STATUS_HISTORY_DAYS = env.int("VIGIL_STATUS_HISTORY_DAYS", default=365)
VIGIL_STATUS_UPTIME_DAYS = env.int("VIGIL_STATUS_UPTIME_DAYS", default=90)
# Cache-Control max-age of the page and JSON; after STALE_AFTER seconds without a rebuild the page
# says it may be out of date; other machines look for a newer snapshot in Redis every POLL seconds.
VIGIL_STATUS_MAX_AGE = env.int("VIGIL_STATUS_MAX_AGE", default=10)
VIGIL_STATUS_STALE_AFTER = env.int("VIGIL_STATUS_STALE_AFTER", default=300)
VIGIL_STATUS_POLL_SECONDS = env.float("VIGIL_STATUS_POLL_SECONDS", default=1.0)
# --- Status page, issue #15 (items 13-15) ----------------------------------------------
# A component made non-operational by an incident nobody has published yet (a monitor opened it):
# "show" keeps its status on the page with "Our monitoring detected a problem; we are
# investigating"; "hold" shows it operational until a responder posts a public update. README
# argues for the default.
VIGIL_STATUS_MONITOR_COMPONENTS = env.str("VIGIL_STATUS_MONITOR_COMPONENTS", default="show")
if VIGIL_STATUS_MONITOR_COMPONENTS not in ("show", "hold"):
    raise ImproperlyConfigured(
        f"VIGIL_STATUS_MONITOR_COMPONENTS={VIGIL_STATUS_MONITOR_COMPONENTS!r}: expected show or hold."
    )
# --- end of the status page part (issue #15)

# --- Status page subscriptions ------------------------------------------------------
# Sign-ups one client (its IP, behind TRUSTED_PROXY_COUNT proxies) and one address may make per
# window: "count/period" with s, m, h or d. Over it: HTTP 429. Checked at start-up (comms.checks).
VIGIL_STATUS_SUBSCRIBE_RATE = env.str("VIGIL_STATUS_SUBSCRIBE_RATE", default="20/h")
VIGIL_STATUS_SUBSCRIBE_ADDRESS_RATE = env.str("VIGIL_STATUS_SUBSCRIBE_ADDRESS_RATE", default="5/h")
# django-ratelimit (vigil.ratelimit): a cache that cannot count lets sign-ups through, logged.
RATELIMIT_FAIL_OPEN = True
# SMS pumping (issue #14): texts the sign-up form may cause, across all numbers and per country
# (same "count/period" form), and the countries (ISO 3166 codes, e.g. "US,GB,DE") whose numbers
# may sign up by SMS: empty refuses none. A cache that cannot count refuses SMS sign-ups (cost wins).
VIGIL_STATUS_SMS_RATE = env.str("VIGIL_STATUS_SMS_RATE", default="100/h")
VIGIL_STATUS_SMS_COUNTRY_RATE = env.str("VIGIL_STATUS_SMS_COUNTRY_RATE", default="20/h")
VIGIL_STATUS_SMS_COUNTRIES = [code.upper() for code in env.list("VIGIL_STATUS_SMS_COUNTRIES", default=[])]
# How long an emailed confirmation link works (hours), and a texted confirmation code (minutes).
VIGIL_STATUS_CONFIRM_HOURS = env.int("VIGIL_STATUS_CONFIRM_HOURS", default=48)
VIGIL_STATUS_CODE_MINUTES = env.int("VIGIL_STATUS_CODE_MINUTES", default=15)
# Minutes before a maintenance starts that its subscribers are reminded.
VIGIL_STATUS_MAINTENANCE_REMINDER_MINUTES = env.int("VIGIL_STATUS_MAINTENANCE_REMINDER_MINUTES", default=60)

# --- Outgoing connections (issue #14) ---------------------------------------------
# The one address rule (vigil.net) for probes and for the one HTTP client (vigil.http: webhooks,
# Slack, Mastodon, feeds, status page subscribers): public addresses only, plus the networks
# listed here (comma-separated, e.g. "10.0.0.0/8,fd00::/8"); link-local and cloud metadata
# addresses (169.254.0.0/16, fd00:ec2::/32, 100.100.100.200...) never.
VIGIL_PROBE_ALLOWED_NETWORKS = env.list("VIGIL_PROBE_ALLOWED_NETWORKS", default=[])
VIGIL_OUTBOUND_ALLOWED_NETWORKS = env.list("VIGIL_OUTBOUND_ALLOWED_NETWORKS", default=[])
# vigil.http: seconds for a whole request (lookup, connect, send, answer), and the largest answer read.
VIGIL_HTTP_DEADLINE = env.float("VIGIL_HTTP_DEADLINE", default=10.0)
VIGIL_HTTP_MAX_BYTES = env.int("VIGIL_HTTP_MAX_BYTES", default=1024 * 1024)


def _check_outgoing_settings() -> None:
    from vigil.net import parse_networks

    for name in ("VIGIL_PROBE_ALLOWED_NETWORKS", "VIGIL_OUTBOUND_ALLOWED_NETWORKS"):
        try:
            parse_networks(globals()[name])
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {exc}") from None
    # Retired switches: obeying neither silently would change what an install can reach.
    for name in ("VIGIL_PROBE_FORBID_PRIVATE", "VIGIL_STATUS_WEBHOOK_ALLOW_PRIVATE"):
        if env.str(name, default=""):
            raise ImproperlyConfigured(
                f"{name} is no longer read: list the private networks Vigil may reach in "
                "VIGIL_PROBE_ALLOWED_NETWORKS (probes) and VIGIL_OUTBOUND_ALLOWED_NETWORKS (webhooks, "
                "Slack, Mastodon, feeds, subscribers); empty means public addresses only. See README."
            )


_check_outgoing_settings()
# --- end of outgoing connections -------------------------------------------------

# --- Reputation watch ---------------------------------------------------------------
# Words that tie a mention to the open incident besides its components' names (comma-separated).
VIGIL_REPUTATION_KEYWORDS = env.str("VIGIL_REPUTATION_KEYWORDS", default="")
# A spike: an hour with at least MIN_MENTIONS and more than mean + K stddev of the baseline hours,
# or a negative share NEGATIVE_RISE above the baseline's. It opens an incident of this severity.
VIGIL_REPUTATION_SPIKE_K = env.float("VIGIL_REPUTATION_SPIKE_K", default=3.0)
VIGIL_REPUTATION_SPIKE_MIN_MENTIONS = env.int("VIGIL_REPUTATION_SPIKE_MIN_MENTIONS", default=10)
VIGIL_REPUTATION_SPIKE_NEGATIVE_RISE = env.float("VIGIL_REPUTATION_SPIKE_NEGATIVE_RISE", default=0.25)
VIGIL_REPUTATION_BASELINE_HOURS = env.int("VIGIL_REPUTATION_BASELINE_HOURS", default=168)
VIGIL_REPUTATION_SPIKE_SEVERITY = env.str("VIGIL_REPUTATION_SPIKE_SEVERITY", default="sev3")
# Feed polling: request timeout (s), largest feed read (bytes), feeds fetched at once.
VIGIL_REPUTATION_FEED_TIMEOUT = env.float("VIGIL_REPUTATION_FEED_TIMEOUT", default=10.0)
VIGIL_REPUTATION_FEED_MAX_BYTES = env.int("VIGIL_REPUTATION_FEED_MAX_BYTES", default=5 * 1024 * 1024)
VIGIL_REPUTATION_POLL_CONCURRENCY = env.int("VIGIL_REPUTATION_POLL_CONCURRENCY", default=16)

# --- DR plans ---------------------------------------------------------------------
# A backup whose last verified restore is older than this is flagged.
VIGIL_DR_RESTORE_MAX_AGE_DAYS = env.int("VIGIL_DR_RESTORE_MAX_AGE_DAYS", default=90)
# Plan owners are reminded this many days before a review is due (and again when overdue).
VIGIL_DR_REVIEW_REMIND_DAYS = env.int("VIGIL_DR_REVIEW_REMIND_DAYS", default=14)

# --- Post-mortems ---------------------------------------------------------------
# Resolving an incident of one of these severities drafts its post-mortem (empty: only on demand).
VIGIL_POSTMORTEM_AUTO_SEVERITIES = env.str("VIGIL_POSTMORTEM_AUTO_SEVERITIES", default="sev1,sev2")
# Action item owners are mailed this many days before an item is due...
VIGIL_ACTION_ITEM_REMIND_DAYS = env.int("VIGIL_ACTION_ITEM_REMIND_DAYS", default=3)
# ...and, while it is overdue, again every this many days (0: one overdue reminder only).
VIGIL_ACTION_ITEM_OVERDUE_EVERY_DAYS = env.int("VIGIL_ACTION_ITEM_OVERDUE_EVERY_DAYS", default=7)

# --- Authentication -------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# --- Sign-in and the public edge (issue #14) ---------------------------------------
# Failed logins (vigil.lockout): after AXES_FAILURE_LIMIT failures for one username from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES; after VIGIL_LOGIN_ACCOUNT_FAILURE_LIMIT
# failures for one username from any addresses, the account is. The account limit is higher, so
# one attacker cannot lock a user out with a handful of tries (they need that many, from several
# addresses, since a locked-out pair's tries are no longer counted).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
VIGIL_LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("VIGIL_LOGIN_ACCOUNT_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "vigil.lockout.PairAndAccountHandler"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_VERBOSE = False
# Two-factor sign-in (vigil.twofactor): admins must use it when this is on (default: on unless DEBUG).
# API keys are not affected: they are a credential of their own.
VIGIL_REQUIRE_ADMIN_2FA = env.bool("VIGIL_REQUIRE_ADMIN_2FA", default=not DEBUG)
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = f"Vigil {urlsplit(VIGIL_BASE_URL).hostname or ''}".strip()
# Content-Security-Policy (django-csp; vigil.csp adds VIGIL_BASE_URL to form-action, as the status
# page's form posts there). Scripts only from Vigil's own files: no inline script anywhere. Inline
# style *attributes* are allowed (the SVG charts and a few templates set them; they cannot run
# code, and with img-src and font-src closed they cannot fetch from elsewhere); <style> elements
# are not. The API docs page (Swagger UI) relaxes styles for itself (vigil/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        # Branding may show a logo from another https site.
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# --- end of sign-in and the public edge ---------------------------------------------

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "vigil.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["vigil.api.permissions.RoleModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "vigil.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_standardized_errors.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    # Rate limits (issue #14; vigil.api.throttling): per client address without credentials, per API key
    # (per user for a session) with them. Their rates are the two settings below, read on each request.
    "DEFAULT_THROTTLE_CLASSES": ["vigil.api.throttling.AnonThrottle", "vigil.api.throttling.KeyThrottle"],
}
# "count/period" (period s, m, h or d; "1200/min" reads as per minute); empty: no limit. Over it: 429.
VIGIL_API_THROTTLE_ANON = env.str("VIGIL_API_THROTTLE_ANON", default="60/min")
VIGIL_API_THROTTLE_KEY = env.str("VIGIL_API_THROTTLE_KEY", default="1200/min")
for _name, _rate in (
    ("VIGIL_API_THROTTLE_ANON", VIGIL_API_THROTTLE_ANON),
    ("VIGIL_API_THROTTLE_KEY", VIGIL_API_THROTTLE_KEY),
):
    if _rate and not re.fullmatch(r"[0-9]+/[smhd][a-z]*", _rate):
        raise ImproperlyConfigured(f"{_name}={_rate!r}: expected count/period, e.g. 60/min.")
DRF_STANDARDIZED_ERRORS = {"ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "415", "429"]}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vigil API",
    "DESCRIPTION": (
        "Incident management: incidents, monitors, communications, post-mortems and DR plans. "
        "Authenticate with `Authorization: Bearer <API key>` (create keys under *API keys* in the dashboard)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the sidecar package: the docs page loads nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # Vigil's own choice sets, named once so each reads the same everywhere in the schema.
        "IncidentStatusEnum": "incidents.models.Status",
        "PublicStatusEnum": "incidents.models.PublicStatus",
        "ComponentStatusEnum": "incidents.models.ComponentStatus",
        "SeverityEnum": "incidents.models.Severity",
        "PageStatusEnum": "incidents.models.Page.Status",
        "IncidentEventKindEnum": "incidents.models.IncidentEvent.Kind",
        "MonitorKindEnum": "monitoring.models.Monitor.Kind",
        "IntegrationKindEnum": "incidents.models.Integration.Kind",
        "AlertStatusEnum": "incidents.models.Alert.Status",
        "MonitorStateEnum": "monitoring.models.Monitor.State",
        "HttpMethodEnum": "monitoring.models.Monitor.Method",
        "DnsRecordTypeEnum": "monitoring.models.Monitor.RecordType",
        "MediumEnum": "comms.models.Medium",
        "NotificationStateEnum": "comms.models.State",
        "EndpointKindEnum": "comms.models.Endpoint.Kind",
        "MentionStateEnum": "reputation.models.MentionState",
        "MentionSourceKindEnum": "reputation.models.MentionSource.Kind",
        "SentimentEnum": "reputation.models.Sentiment",
        "MentionPollStatusEnum": "reputation.models.MentionSource.PollStatus",
        "MentionSpikeReasonEnum": "reputation.models.MentionSpike.Reason",
        "StakeholderKindEnum": "comms.models.Stakeholder.Kind",
        "PostMortemStatusEnum": "postmortems.models.PostMortem.Status",
        "DRPlanStatusEnum": "dr_plans.models.DRPlan.Status",
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
    ],
}

# --- Internationalisation ---------------------------------------------------------
LANGUAGE_CODE = "en-us"
# Stored times are always UTC; TIME_ZONE is only the default for showing them.
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True

# --- Static files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Providers (used by comms/) ---------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="vigil@localhost")
EMAIL_URL = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = EMAIL_URL["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_URL.get("EMAIL_HOST", "")
EMAIL_PORT = EMAIL_URL.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL_URL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL_URL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_URL.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_URL.get("EMAIL_USE_SSL", False)
SENDGRID_API_KEY = _secret("SENDGRID_API_KEY", default="")
# The signed Event Webhook's verification key (SendGrid: Settings > Mail Settings). Empty: events refused.
SENDGRID_WEBHOOK_PUBLIC_KEY = env.str("SENDGRID_WEBHOOK_PUBLIC_KEY", default="")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = _secret("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
# Send everything to the sandbox (the Outbox page), keys or not: a staging install.
VIGIL_COMMS_SANDBOX = env.bool("VIGIL_COMMS_SANDBOX", default=False)
# Which channel sends email: "sendgrid", "smtp" or "sandbox". Empty: SendGrid when its key is set.
VIGIL_EMAIL_CHANNEL = env.str("VIGIL_EMAIL_CHANNEL", default="")
# The providers' API base URLs (tests and benchmarks point them at a local fake).
VIGIL_SENDGRID_API_URL = env.str("VIGIL_SENDGRID_API_URL", default="https://api.sendgrid.com")
VIGIL_TWILIO_API_URL = env.str("VIGIL_TWILIO_API_URL", default="")
# Twilio: messages a second across the account, and requests in flight at once.
VIGIL_TWILIO_RATE = env.float("VIGIL_TWILIO_RATE", default=10.0)
VIGIL_TWILIO_CONCURRENCY = env.int("VIGIL_TWILIO_CONCURRENCY", default=8)
# Channels one send task works on at once, and the timeout of each provider request (seconds).
VIGIL_COMMS_PARALLEL_SENDS = env.int("VIGIL_COMMS_PARALLEL_SENDS", default=2)
VIGIL_COMMS_HTTP_TIMEOUT = env.float("VIGIL_COMMS_HTTP_TIMEOUT", default=10.0)
# Retries: exponential back-off from BASE to CAP seconds with jitter, at most MAX_ATTEMPTS tries.
VIGIL_COMMS_RETRY_BASE = env.int("VIGIL_COMMS_RETRY_BASE", default=5)
VIGIL_COMMS_RETRY_CAP = env.int("VIGIL_COMMS_RETRY_CAP", default=900)
VIGIL_COMMS_MAX_ATTEMPTS = env.int("VIGIL_COMMS_MAX_ATTEMPTS", default=8)
# Minutes an open incident may go without a public update before its commander is reminded; 0: off.
VIGIL_UPDATE_CADENCE_SEV1_MINUTES = env.int("VIGIL_UPDATE_CADENCE_SEV1_MINUTES", default=30)
VIGIL_UPDATE_CADENCE_SEV2_MINUTES = env.int("VIGIL_UPDATE_CADENCE_SEV2_MINUTES", default=60)
# A row claimed for sending longer than this ago (its worker died) is sent again.
VIGIL_COMMS_SENDING_LEASE = env.int("VIGIL_COMMS_SENDING_LEASE", default=300)
# Circuit breaker per destination host:port of URL channels (webhooks, Slack, Mastodon; vigil.breaker):
# after this many failures or timeouts in a row, rows to it are not tried (they are rescheduled) for
# COOL_OFF seconds, then one trial request goes. 0 failures turns it off.
VIGIL_COMMS_BREAKER_FAILURES = env.int("VIGIL_COMMS_BREAKER_FAILURES", default=5)
VIGIL_COMMS_BREAKER_COOL_OFF = env.float("VIGIL_COMMS_BREAKER_COOL_OFF", default=60.0)

# --- Logging ----------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Paths in log lines ("Not Found: /incidents/ack/<token>/") lose their secrets (vigil.gunicorn_logging).
    "filters": {"mask_tokens": {"()": "vigil.gunicorn_logging.MaskTokensFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_tokens"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # twilio's client logs every request's headers at INFO.
    "loggers": {
        "axes": {"level": "WARNING"},
        "twilio.http_client": {"level": "WARNING"},
        # Django's own handlers (a second console under DEBUG, mail to ADMINS) are dropped: its lines go
        # through the masked console above, once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A line per task received and done, and per task beat sends: several a second. bin/run turns them
        # off (VIGIL_LOG_EACH_TASK=0) so its terminal shows what matters; warnings and errors remain.
        **{
            name: {"level": "INFO" if env.bool("VIGIL_LOG_EACH_TASK", default=True) else "WARNING"}
            for name in ("celery.app.trace", "celery.worker.strategy", "celery.beat")
        },
    },
}

# --- Production hardening (manage.py check --deploy passes with DEBUG off) ----------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the dashboard's small JS reads it for fetch()
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Served over HTTPS (a TLS-terminating proxy in front). Off only for a plain-HTTP run on one machine
# (bin/run on 127.0.0.1): no redirect to HTTPS, cookies without Secure, no HSTS.
VIGIL_HTTPS = env.bool("VIGIL_HTTPS", default=True)
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=VIGIL_HTTPS)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = VIGIL_HTTPS
    CSRF_COOKIE_SECURE = VIGIL_HTTPS
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000) if VIGIL_HTTPS else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
