"""Chat front doors (issue #18): the Slack app (two-way) and Microsoft Teams cards (one way).

Slack is on when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are both set (each also as NAME_FILE).
"""

import re

from django.core.exceptions import ImproperlyConfigured

from vigil.settings.environment import env, secret

SLACK_BOT_TOKEN = secret("SLACK_BOT_TOKEN", default="")
SLACK_SIGNING_SECRET = secret("SLACK_SIGNING_SECRET", default="")
# Slack's Web API; tests point it at a local fake. Must end with "/" (slack_sdk joins method names to it).
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api/").rstrip("/") + "/"
# The slash command as named in the app's manifest (chat/slack/manifest.yml).
VIGIL_SLACK_COMMAND = env.str("VIGIL_SLACK_COMMAND", default="/vigil")
if not re.fullmatch(r"/[a-z0-9_-]{1,31}", VIGIL_SLACK_COMMAND):
    raise ImproperlyConfigured("VIGIL_SLACK_COMMAND: a slash and up to 31 lowercase letters, digits, - or _.")
# Incident channels: the name pattern ({id}, {slug}), and for which severities a channel is opened for
# every incident whatever declared it (an incident declared from Slack always gets one). Empty: none.
VIGIL_SLACK_CHANNEL_PATTERN = env.str("VIGIL_SLACK_CHANNEL_PATTERN", default="inc-{id}-{slug}")
try:
    VIGIL_SLACK_CHANNEL_PATTERN.format_map({"id": 1, "slug": "incident"})
except (KeyError, IndexError, ValueError) as _exc:
    raise ImproperlyConfigured(f"VIGIL_SLACK_CHANNEL_PATTERN: use only {{id}} and {{slug}} ({_exc!r}).") from None
VIGIL_SLACK_CHANNEL_SEVERITIES = env.list("VIGIL_SLACK_CHANNEL_SEVERITIES", default=["sev1", "sev2"])
# Channels are archived this long after their incident is resolved (0: never).
VIGIL_SLACK_ARCHIVE_AFTER_HOURS = env.int("VIGIL_SLACK_ARCHIVE_AFTER_HOURS", default=72)
# A message in an incident channel marked with this reaction is copied to the incident's timeline.
VIGIL_SLACK_TIMELINE_REACTION = env.str("VIGIL_SLACK_TIMELINE_REACTION", default="pushpin")
# Seconds slack_sdk waits for one Web API answer (the work runs in Celery; a failed call is retried).
VIGIL_SLACK_TIMEOUT = env.int("VIGIL_SLACK_TIMEOUT", default=10)

# Microsoft Teams: a Workflows (Power Automate) "post to a channel when a webhook request is received"
# URL. Incident cards go there as Adaptive Cards. Empty: off.
TEAMS_WORKFLOW_URL = secret("TEAMS_WORKFLOW_URL", default="")
