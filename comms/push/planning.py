"""A page's outbox rows by Web Push: one row per device the person turned push on in.

One row per device, not one per rule fanned out at send time: each device then has its own row
before its network call, its own state, attempts and retries, and a device whose push service said
"accepted" is never pushed again when another device's push is retried or a worker dies mid-batch.
A row's destination is the PushSubscription's id (the endpoint is a per-device secret, and the
Outbox page shows destinations); the unique constraint notification_once_per_page_device keeps
planning the same page twice from adding rows.
"""

from datetime import timedelta

from ..channels import channel_for
from ..models import Notification, PageMedium, PushSubscription


def page_rows(page, body: str, delay_minutes: int, *, start=None, note: str = "") -> list[Notification]:
    """One row per device, due DELAY_MINUTES after START (the page's time unless quiet hours hold it)."""
    start = start or page.created_at
    devices = PushSubscription.objects.filter(user=page.user).values_list("pk", flat=True)
    channel = channel_for(PageMedium.PUSH)
    return [
        Notification(
            page=page,
            user=page.user,
            medium=PageMedium.PUSH,
            channel=channel,
            destination=str(pk),
            body=body,
            next_attempt_at=start + timedelta(minutes=delay_minutes),
            note=note,
        )
        for pk in devices
    ]


def problem(user) -> str:
    """Why a push rule reaches USER nowhere (comms.rules_for.problem); "" when it reaches a device."""
    return "" if PushSubscription.objects.filter(user=user).exists() else "no device has push turned on"
