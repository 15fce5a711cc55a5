from django.conf import settings
from django.db import transaction


class ActionError(Exception):
    """The action is not allowed in the object's present state. The message says why."""


class PermissionDenied(Exception):
    """The actor may not do this to this object (a rule finer than a model permission)."""


def announce(signal, sender, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender=sender, **kwargs))


def restore_max_age_days() -> int:
    """A restore not verified within this many days is flagged (VIGIL_DR_RESTORE_MAX_AGE_DAYS)."""
    return settings.VIGIL_DR_RESTORE_MAX_AGE_DAYS


def review_remind_days() -> int:
    """Owners are reminded this many days before a review is due (VIGIL_DR_REVIEW_REMIND_DAYS)."""
    return settings.VIGIL_DR_REVIEW_REMIND_DAYS
