"""Pages (and reminders) as Slack DMs, through the Slack app (chat.slack.pages).

The destination is the person's Slack user id. A page's DM has Acknowledge and Escalate buttons and no
acknowledge link. What Slack answers becomes the outbox's outcome: `ratelimited` (HTTP 429 with
Retry-After), Slack's own trouble or no answer is worth another try after the Retry-After or a back-off
(comms.outbox.retry_delay); anything else (user_not_found, channel_not_found, invalid_auth) is
permanent. No sleeping here: the outbox reschedules the row (chat.slack.client explains why).
"""

from slack_sdk.errors import SlackApiError

from chat.slack import client, pages

from .base import Channel, DeliveryError, Message


class SlackDmChannel(Channel):
    kind = "slack_dm"
    max_batch = 20

    def send(self, message: Message) -> str:
        if not client.enabled():
            raise DeliveryError("Slack is not configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET).", permanent=True)
        try:
            if message.page_id is not None:
                return pages.post_page(message.page_id, message.body)
            return pages.post_text(message.destination, message.body)
        except SlackApiError as exc:
            raise delivery_error(exc) from None


def delivery_error(exc: SlackApiError) -> DeliveryError:
    code = client.error_code(exc)
    retry_after = client.retry_delay(exc, 0)
    if retry_after is None:
        return DeliveryError(f"Slack: {code}", permanent=True)
    header = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
    return DeliveryError(f"Slack: {code}", retry_after=retry_after if header else None)
