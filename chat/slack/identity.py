"""Which Vigil user a Slack user is.

A Slack user is matched once, by the email their Slack profile shows (users.info; Slack shows only an
address its owner confirmed, and the app needs users:read.email to see it) to exactly one active Vigil
user with that address, or by a signed link the person opens while signed in to Vigil. The match is
kept (SlackIdentity). Someone matched to nobody, or to a deactivated user, is told why and given the link.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError
from django.urls import reverse
from slack_sdk.errors import SlackApiError

from chat.models import SlackIdentity

from .client import web_client

LINK_SALT = "chat.slack.link"
LINK_MAX_AGE = 3600


class NotLinked(Exception):
    """The Slack user is no Vigil user (yet). The message says why, for that person."""


def vigil_user(slack_user_id: str, team_id: str = ""):
    """The active Vigil user SLACK_USER_ID is. Raises NotLinked (with the words to say) otherwise."""
    identity = SlackIdentity.objects.select_related("user").filter(slack_user_id=slack_user_id).first()
    if identity is not None:
        if not identity.user.is_active:
            raise NotLinked("Your Vigil account is deactivated, so Vigil takes no action from you.")
        return identity.user
    email = _slack_email(slack_user_id)
    users = list(get_user_model().objects.filter(email__iexact=email, is_active=True)[:2]) if email else []
    if len(users) != 1:
        why = (
            "Vigil cannot see the email of your Slack profile"
            if not email
            else f"no single active Vigil user has the email {email}"
            if not users
            else f"several Vigil users have the email {email}"
        )
        raise NotLinked(
            f"Your Slack account is not linked to Vigil: {why}. Link it here (valid for an hour): "
            f"{link_url(slack_user_id, team_id)}"
        )
    try:
        SlackIdentity.objects.create(
            user=users[0], slack_user_id=slack_user_id, team_id=team_id, linked_by=SlackIdentity.LinkedBy.EMAIL
        )
    except IntegrityError:  # linked meanwhile (another request), or that user has another Slack id
        identity = SlackIdentity.objects.select_related("user").filter(slack_user_id=slack_user_id).first()
        if identity is None:
            raise NotLinked(
                f"The Vigil user with the email {email} is already linked to another Slack account. "
                f"Link this one here (valid for an hour): {link_url(slack_user_id, team_id)}"
            ) from None
        return identity.user
    return users[0]


def _slack_email(slack_user_id: str) -> str:
    try:
        answer = web_client().users_info(user=slack_user_id)
    except (SlackApiError, OSError):
        return ""
    user = answer.get("user") or {}
    if user.get("deleted") or user.get("is_bot"):
        return ""
    return ((user.get("profile") or {}).get("email") or "").strip()


def link_url(slack_user_id: str, team_id: str = "") -> str:
    token = signing.dumps({"u": slack_user_id, "t": team_id}, salt=LINK_SALT, compress=True)
    return settings.VIGIL_BASE_URL + reverse("chat:slack_link", args=[token])


def read_link(token: str) -> tuple[str, str]:
    """(slack user id, team id) of a link. Raises signing.BadSignature (SignatureExpired when old)."""
    data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    return data["u"], data.get("t", "")


def do_link(user, slack_user_id: str, team_id: str = "") -> SlackIdentity:
    """Make USER the Vigil user of SLACK_USER_ID, replacing any earlier match of either."""
    SlackIdentity.objects.filter(user=user).exclude(slack_user_id=slack_user_id).delete()
    identity, _ = SlackIdentity.objects.update_or_create(
        slack_user_id=slack_user_id,
        defaults={"user": user, "team_id": team_id, "linked_by": SlackIdentity.LinkedBy.LINK},
    )
    return identity
