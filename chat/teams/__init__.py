"""Microsoft Teams, one way (issue #18): incident cards as Adaptive Cards posted to a Teams Workflows
webhook (settings.TEAMS_WORKFLOW_URL: the URL of a Workflow "When a Teams webhook request is received"
that posts the card to a channel).

Why not through comms' outbox as an endpoint: chat sits above comms (INSTALLED_APPS order: comms uses
chat, never the reverse), and a Teams card is not a public update's text but a snapshot of the
incident for responders. So each card is posted by its own Celery task (chat.tasks.post_teams_card,
acks_late) through the one outgoing client, vigil.http (address rule, deadline, size cap), and a
receiver that is down, slow or answering 408/429/5xx is tried again later by Celery with a back-off
(Retry-After respected) — never by sleeping in the worker. The card is built when the event happens
and carried in the task, so a retry posts what was true then.

The Acknowledge button goes to the incident's page (sign-in, then its Acknowledge button), never to
a page's signed one-click link: that link acts as the paged person without a login, and a Teams
channel is read by everyone in it. Two-way Teams (buttons that act in place) needs an Azure Bot
Framework registration, a public HTTPS messaging endpoint and the tenant admin's consent: left out.
"""

from .delivery import connect, post_or_retry

__all__ = ["connect", "post_or_retry"]
