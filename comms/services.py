"""Actions on stakeholders and the outbox. The dashboard and the API both call these, and only these."""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from vigil.audit import Actor, record

from . import csvio
from .models import Fanout, IncidentAudience, Notification, StakeholderGroup, State

logger = logging.getLogger(__name__)


class ActionError(Exception):
    """The action is not allowed as things are. The message says why."""


def do_import_stakeholders(actor: Actor, text: str) -> tuple[list[csvio.Row], int, int]:
    """Import the good rows of a CSV; return (rows, created, updated). Raises csvio.CsvError for an unreadable file."""
    rows = csvio.read(text)
    created, updated = csvio.save(rows)
    bad = sum(1 for row in rows if row.errors)
    record(actor, "comms.stakeholders.import", created=created, updated=updated, skipped=bad)
    return rows, created, updated


@transaction.atomic
def do_set_audience(actor: Actor, incident, groups: Iterable[StakeholderGroup]) -> IncidentAudience:
    """Choose the groups that hear INCIDENT's public updates from now on."""
    audience, _ = IncidentAudience.objects.get_or_create(incident=incident)
    groups = list(groups)
    audience.groups.set(groups)
    record(actor, "comms.audience", incident, groups=[g.name for g in groups])
    return audience


def do_retry(actor: Actor, notifications) -> int:
    """Queue failed rows again, with a fresh count of attempts. Rows in any other state are left alone."""
    with transaction.atomic():
        ids = list(notifications.filter(state=State.FAILED).select_for_update().values_list("pk", flat=True))
        count = Notification.objects.filter(pk__in=ids, state=State.FAILED).update(
            state=State.QUEUED, attempts=0, next_attempt_at=timezone.now(), error=""
        )
        record(actor, "comms.retry", count=count)
    if count:
        from .tasks import kick

        transaction.on_commit(lambda: kick.delay())
    return count


def start_fanout(update) -> Fanout:
    """Record that UPDATE is to be sent, then queue its planning. The sweeper plans it if the queueing is lost."""
    fanout, _ = Fanout.objects.get_or_create(update=update)
    from .tasks import fan_out

    try:
        fan_out.delay(update.pk)
    except Exception:  # a broker outage must not fail posting the update; the sweeper retries.
        logger.exception("Could not queue the fan-out of update %s; the sweeper will", update.pk)
    return fanout
