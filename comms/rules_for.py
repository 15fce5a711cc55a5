"""Where a responder's notification rule reaches them, and what keeps a rule from reaching them.

A rule without an address is skipped when a page is planned (comms.outbox.plan_page): an email rule
needs an email, an SMS or voice rule a phone (comms.models.Contact), a Slack DM rule a Slack account
linked to the Vigil user (chat.models.SlackIdentity) and the Slack app configured, an ntfy rule a topic
(comms.models.NtfyTarget), an Apprise rule the person's Apprise URL (comms.models.AppriseTarget), a push
rule a device with push turned on (comms.push; plan_page writes its rows, one per device). problems() says the
same in words, for the admin's list of rules, so nobody learns it from a page that never came.
"""

from chat.slack import pages as slack_pages

from .models import AppriseTarget, Contact, NotificationRule, NtfyTarget, PageMedium
from .push import planning as push_planning


def destination(user, medium: str, phone: str) -> str:
    """USER's address for MEDIUM ("" when they have none): email, phone number, or Slack user id."""
    if medium == PageMedium.EMAIL:
        return user.email
    if medium == PageMedium.SLACK_DM:
        return slack_pages.slack_user_id(user)
    if medium == PageMedium.NTFY:
        target = NtfyTarget.objects.filter(user=user).first()
        return target.server_url if target is not None and target.topic else ""
    if medium == PageMedium.APPRISE:
        return apprise_url(user)
    return phone


def apprise_url(user) -> str:
    return AppriseTarget.objects.filter(user=user).values_list("url", flat=True).first() or ""


def problem(rule: NotificationRule) -> str:
    """Why RULE would reach nobody now, in words; "" when it would."""
    medium = rule.medium
    if medium == PageMedium.EMAIL:
        return "" if rule.user.email else "no email address"
    if medium == PageMedium.SLACK_DM:
        return slack_pages.unreachable_reason(rule.user)
    if medium == PageMedium.NTFY:
        return "" if destination(rule.user, medium, "") else "no ntfy topic"
    if medium == PageMedium.APPRISE:
        return "" if apprise_url(rule.user) else "no Apprise URL"
    if medium == PageMedium.PUSH:
        return push_planning.problem(rule.user)
    contact = Contact.objects.filter(user=rule.user).first()
    if contact is None or not contact.phone:
        return "no phone number"
    if medium == PageMedium.SMS and contact.sms_opted_out:
        return "texted STOP"
    return ""


def slack_linked(user_ids) -> set[int]:
    """Which of USER_IDS a Slack DM rule reaches now (comms.urgency.unpageable asks for many at once)."""
    return slack_pages.linked_user_ids(user_ids)
