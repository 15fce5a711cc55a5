"""The channels, by kind, and which one carries each medium.

A Slack DM (a responder's notification rule) goes by the Slack app (slack_dm); a medium (email, SMS,
voice) goes by the provider whose keys are set (SMS and voice: by the failover channel when several are,
comms.failover), else by the
sandbox, which sends nothing and shows the message on the Outbox page. With
VIGIL_COMMS_SANDBOX on, everything goes to the sandbox (a staging install).
"""

from django.conf import settings

from . import providers
from .apprise import AppriseChannel
from .base import Channel, DeliveryError, Message
from .gateway import SmsGatewayChannel
from .ntfy import NtfyChannel
from .sandbox import SandboxChannel
from .sendgrid import SendGridChannel
from .slack_dm import SlackDmChannel
from .smtp import SmtpChannel
from .twilio import TwilioSmsChannel, TwilioVoiceChannel
from .vonage import VonageSmsChannel
from .vonage_voice import VonageVoiceChannel
from .webhook import MastodonChannel, SlackChannel, WebhookChannel
from .webpush import WebPushChannel

CHANNELS: dict[str, type[Channel]] = {
    cls.kind: cls
    for cls in (
        SandboxChannel,
        SendGridChannel,
        SmtpChannel,
        TwilioSmsChannel,
        TwilioVoiceChannel,
        WebhookChannel,
        SlackChannel,
        MastodonChannel,
        SlackDmChannel,
        NtfyChannel,
        VonageSmsChannel,
        VonageVoiceChannel,
        SmsGatewayChannel,
        AppriseChannel,
        WebPushChannel,
    )
}


def get_channel(kind: str) -> Channel:
    return CHANNELS[kind]()


def channel_for(medium: str) -> str:
    """The kind of channel that sends MEDIUM now (an endpoint's kind is its own medium)."""
    if settings.VIGIL_COMMS_SANDBOX:
        return SandboxChannel.kind
    if medium == "email":
        chosen = settings.VIGIL_EMAIL_CHANNEL
        return chosen or (SendGridChannel.kind if settings.SENDGRID_API_KEY else SandboxChannel.kind)
    if medium in ("sms", "voice"):  # one provider, or several with failover (comms.failover)
        return providers.kind_for(medium) or SandboxChannel.kind
    if medium == "push":  # a page to a responder's devices (comms.push)
        return WebPushChannel.kind
    return medium


__all__ = ["CHANNELS", "Channel", "DeliveryError", "Message", "channel_for", "get_channel"]
