"""Vigil's own settings, app by app: incidents, monitoring, the status page and its subscribers,
reputation, DR plans, post-mortems and the providers comms sends through.

Every VIGIL_ setting is declared once here or in a sibling module, with its default; code reads
settings.VIGIL_X, never getattr with a default of its own.
"""

import json
import re
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from vigil.settings.environment import env, secret

# --- Workers --------------------------------------------------------------------------
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
# Scripted browser checks (kind "browser") run on their own queue ("browser", its own worker), at most
# this many Chromium pages at once per worker process; each browser batch holds that many monitors.
VIGIL_BROWSER_CONCURRENCY = max(1, env.int("VIGIL_BROWSER_CONCURRENCY", default=2))
# The Chromium that browser checks launch (Playwright never downloads one).
VIGIL_CHROMIUM_PATH = env.str("VIGIL_CHROMIUM_PATH", default="/usr/bin/chromium")
# Values for ${secret:NAME} in browser steps, as a JSON object ({"SHOP_PASSWORD": "..."}); or a file
# holding it (VIGIL_BROWSER_SECRETS_FILE). Steps store only the name.
try:
    VIGIL_BROWSER_SECRETS = json.loads(secret("VIGIL_BROWSER_SECRETS", default="") or "{}")
except ValueError as _exc:
    raise ImproperlyConfigured(f"VIGIL_BROWSER_SECRETS: not JSON ({_exc}).") from None
if not isinstance(VIGIL_BROWSER_SECRETS, dict) or not all(isinstance(v, str) for v in VIGIL_BROWSER_SECRETS.values()):
    raise ImproperlyConfigured('VIGIL_BROWSER_SECRETS: expected a JSON object of strings, e.g. {"NAME": "value"}.')
# Alert requests one integration key may send ("count/period", e.g. 600/m; empty: no limit): over it,
# 429 with Retry-After in each front door's own format (incidents/integrations/throttle.py).
VIGIL_INGEST_RATE = env.str("VIGIL_INGEST_RATE", default="")
if VIGIL_INGEST_RATE and not re.fullmatch(r"[0-9]+/[0-9]*[smhd][a-z]*", VIGIL_INGEST_RATE):
    raise ImproperlyConfigured(f"VIGIL_INGEST_RATE={VIGIL_INGEST_RATE!r}: expected e.g. 600/m.")
# How often one person may run *Test* / *Test now* (count/period, per user; empty: no limit).
# Each test is a real probe, under the probes' own address rule.
VIGIL_MONITOR_TEST_RATE = env.str("VIGIL_MONITOR_TEST_RATE", default="20/m")
if VIGIL_MONITOR_TEST_RATE and not re.fullmatch(r"[0-9]+/[0-9]*[smhd][a-z]*", VIGIL_MONITOR_TEST_RATE):
    raise ImproperlyConfigured(f"VIGIL_MONITOR_TEST_RATE={VIGIL_MONITOR_TEST_RATE!r}: expected e.g. 20/m.")
# A probe agent not heard from (no poll, no result) for this long opens a SEV4 incident of its
# own (monitoring.agent_health); its monitors are not marked down for its silence.
VIGIL_AGENT_SILENT_AFTER_SECONDS = env.int("VIGIL_AGENT_SILENT_AFTER_SECONDS", default=180)
if VIGIL_AGENT_SILENT_AFTER_SECONDS < 30:
    raise ImproperlyConfigured("VIGIL_AGENT_SILENT_AFTER_SECONDS must be at least 30 (agents poll every 30 s).")
# Raw check results are kept this many days; hourly and daily rollups are kept for good.
VIGIL_RESULT_RETENTION_DAYS = max(1, env.int("VIGIL_RESULT_RETENTION_DAYS", default=7))
# Change events (PagerDuty's /v2/change/enqueue) are kept this many days after they came in;
# beat purges older ones hourly (incidents.integrations.changes.purge).
VIGIL_CHANGE_RETENTION_DAYS = max(1, env.int("VIGIL_CHANGE_RETENTION_DAYS", default=90))
# /metrics (Prometheus exposition) asks for "Authorization: Bearer <token>" when this is set.
VIGIL_METRICS_TOKEN = secret("VIGIL_METRICS_TOKEN", default="")

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
# A component made non-operational by an incident nobody has published yet (a monitor opened it):
# "show" keeps its status on the page with "Our monitoring detected a problem; we are
# investigating"; "hold" shows it operational until a responder posts a public update. README
# argues for the default.
VIGIL_STATUS_MONITOR_COMPONENTS = env.str("VIGIL_STATUS_MONITOR_COMPONENTS", default="show")
if VIGIL_STATUS_MONITOR_COMPONENTS not in ("show", "hold"):
    raise ImproperlyConfigured(
        f"VIGIL_STATUS_MONITOR_COMPONENTS={VIGIL_STATUS_MONITOR_COMPONENTS!r}: expected show or hold."
    )

# --- Status page subscriptions ------------------------------------------------------
# Sign-ups one client (its IP, behind TRUSTED_PROXY_COUNT proxies) and one address may make per
# window: "count/period" with s, m, h or d. Over it: HTTP 429. Checked at start-up (comms.checks).
VIGIL_STATUS_SUBSCRIBE_RATE = env.str("VIGIL_STATUS_SUBSCRIBE_RATE", default="20/h")
VIGIL_STATUS_SUBSCRIBE_ADDRESS_RATE = env.str("VIGIL_STATUS_SUBSCRIBE_ADDRESS_RATE", default="5/h")
# django-ratelimit (vigil.ratelimit): a cache that cannot count lets sign-ups through, logged.
RATELIMIT_FAIL_OPEN = True
# Rate-limit groups are named with this prefix, so two Vigils sharing one Redis count apart.
VIGIL_RATELIMIT_GROUP_PREFIX = env.str("VIGIL_RATELIMIT_GROUP_PREFIX", default="vigil:")
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

# --- Configuration as code (issue #22) -----------------------------------------------
# What the dashboard, the REST API and Django's admin do with an edit of an object the files
# manage (vigil.managed): "warn" lets it through, warned and noted in the audit log; "refuse"
# refuses it, admins included, naming the key. Config apply itself is never refused.
VIGIL_MANAGED_EDITS = env.str("VIGIL_MANAGED_EDITS", default="warn")
if VIGIL_MANAGED_EDITS not in ("warn", "refuse"):
    raise ImproperlyConfigured(f"VIGIL_MANAGED_EDITS={VIGIL_MANAGED_EDITS!r}: expected warn or refuse.")

# --- Providers comms sends through (email itself: EMAIL_URL, in framework.py) ---------
SENDGRID_API_KEY = secret("SENDGRID_API_KEY", default="")
# The signed Event Webhook's verification key (SendGrid: Settings > Mail Settings). Empty: events refused.
SENDGRID_WEBHOOK_PUBLIC_KEY = env.str("SENDGRID_WEBHOOK_PUBLIC_KEY", default="")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = secret("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
# Web Push (comms.push): who push services may contact about Vigil's pushes, the VAPID "sub" claim (RFC 8292):
# a mailto: or https: URL. Empty: mailto: DEFAULT_FROM_EMAIL's address. The key pair is made on first use.
VIGIL_VAPID_SUBJECT = env.str("VIGIL_VAPID_SUBJECT", default="")
if VIGIL_VAPID_SUBJECT and not re.match(r"(mailto:\S+@\S+|https://\S+)$", VIGIL_VAPID_SUBJECT):
    raise ImproperlyConfigured(
        f"VIGIL_VAPID_SUBJECT={VIGIL_VAPID_SUBJECT!r}: expected mailto:someone@example.com or https://..."
    )
# Send everything to the sandbox (the Outbox page), keys or not: a staging install.
VIGIL_COMMS_SANDBOX = env.bool("VIGIL_COMMS_SANDBOX", default=False)
# Which channel sends email: "sendgrid", "smtp" or "sandbox". Empty: SendGrid when its key is set.
VIGIL_EMAIL_CHANNEL = env.str("VIGIL_EMAIL_CHANNEL", default="")
# The providers' API base URLs (tests and benchmarks point them at a local fake).
VIGIL_SENDGRID_API_URL = env.str("VIGIL_SENDGRID_API_URL", default="https://api.sendgrid.com")
VIGIL_TWILIO_API_URL = env.str("VIGIL_TWILIO_API_URL", default="")
# Twilio: messages a second per sending process (not shared between processes), and requests in flight at once.
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
# The ntfy server a responder's ntfy settings start with (comms.models.NtfyTarget): ntfy.sh or your own.
VIGIL_NTFY_DEFAULT_SERVER = env.str("VIGIL_NTFY_DEFAULT_SERVER", default="https://ntfy.sh")
# Pages about incidents of these severities follow each person's high-urgency rules; any other severity their
# low-urgency rules, which keep quiet hours (comms.urgency, comms.quiet_hours).
VIGIL_HIGH_URGENCY_SEVERITIES = env.list("VIGIL_HIGH_URGENCY_SEVERITIES", default=["sev1", "sev2"])

# --- SMS and voice failover (comms.failover, issue #19) -------------------------------
# Vonage SMS (official client). VIGIL_VONAGE_REST_HOST: its SMS API host (a proxy, or the tests' fake).
VONAGE_API_KEY = env.str("VONAGE_API_KEY", default="")
VONAGE_API_SECRET = secret("VONAGE_API_SECRET", default="")
VONAGE_FROM = env.str("VONAGE_FROM", default="")
VIGIL_VONAGE_REST_HOST = env.str("VIGIL_VONAGE_REST_HOST", default="rest.nexmo.com")
# Vonage voice (its Voice API, comms.channels.vonage_voice): an application's id and private key (the
# key's PEM text, or VONAGE_PRIVATE_KEY_FILE), calling from VONAGE_FROM. VIGIL_VONAGE_API_HOST: the Voice
# API host (a proxy, or the tests' fake). VONAGE_SIGNATURE_SECRET: the account's signature secret, with
# which Vonage signs webhooks when signed webhooks are on; set, the call's key-press webhook must carry it.
VONAGE_APPLICATION_ID = env.str("VONAGE_APPLICATION_ID", default="")
VONAGE_PRIVATE_KEY = secret("VONAGE_PRIVATE_KEY", default="")
VONAGE_SIGNATURE_SECRET = secret("VONAGE_SIGNATURE_SECRET", default="")
VIGIL_VONAGE_API_HOST = env.str("VIGIL_VONAGE_API_HOST", default="api.nexmo.com")
# A generic HTTP SMS gateway: URL, method, body template ({to} {text} {from}; JSON when it starts with
# "{", else a form), headers (JSON object, may hold a credential), and the success rule (empty: any
# 2xx; else a regular expression a 2xx body must match, whose group "id" is the gateway's message id).
VIGIL_SMS_GATEWAY_URL = env.str("VIGIL_SMS_GATEWAY_URL", default="")
VIGIL_SMS_GATEWAY_METHOD = env.str("VIGIL_SMS_GATEWAY_METHOD", default="POST")
VIGIL_SMS_GATEWAY_BODY = env.str("VIGIL_SMS_GATEWAY_BODY", default='{"to": "{to}", "from": "{from}", "text": "{text}"}')
VIGIL_SMS_GATEWAY_HEADERS = secret("VIGIL_SMS_GATEWAY_HEADERS", default="")
VIGIL_SMS_GATEWAY_SUCCESS = env.str("VIGIL_SMS_GATEWAY_SUCCESS", default="")
VIGIL_SMS_GATEWAY_FROM = env.str("VIGIL_SMS_GATEWAY_FROM", default="")
# The providers SMS and voice go by, in order (empty: the configured ones, in the order twilio, vonage,
# gateway). A message fails over to the next one, once, after a permanent refusal, a timeout,
# AFTER_ATTEMPTS server errors, or a failed/undelivered report within CALLBACK_SECONDS of the send.
VIGIL_SMS_PROVIDERS = env.list("VIGIL_SMS_PROVIDERS", default=[])
VIGIL_VOICE_PROVIDERS = env.list("VIGIL_VOICE_PROVIDERS", default=[])
VIGIL_FAILOVER_AFTER_ATTEMPTS = env.int("VIGIL_FAILOVER_AFTER_ATTEMPTS", default=2)
VIGIL_FAILOVER_CALLBACK_SECONDS = env.int("VIGIL_FAILOVER_CALLBACK_SECONDS", default=120)
