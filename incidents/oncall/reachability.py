"""Who is about to go on call but cannot be paged: "Olive cannot be paged: no working method".

Comms knows whether a person's rules reach them (incidents.providers.unpageable); the on-call page and
a schedule's page ask it for the people whose shifts start within the next WARN_DAYS, so a broken phone
number is fixed before the shift, not found out during an incident.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from incidents import providers

WARN_DAYS = 7


@dataclass(frozen=True)
class Warning:
    user: object
    why: str
    starts_at: datetime  # their next shift's start (or now, when they are on call already)
    schedule: object


def warnings(plans, now: datetime) -> list[Warning]:
    """One warning per person on call in PLANS within WARN_DAYS whom a page would reach by no method."""
    first = {}
    for plan in plans:
        for shift in plan.final_shifts(now, now + timedelta(days=WARN_DAYS)):
            if shift.user is not None and (shift.user.pk not in first or shift.start < first[shift.user.pk][1].start):
                first[shift.user.pk] = (plan.schedule, shift)
    if not first:
        return []
    why = providers.unpageable([shift.user for _, shift in first.values()])
    found = [Warning(s.user, why[pk], max(s.start, now), sched) for pk, (sched, s) in first.items() if pk in why]
    return sorted(found, key=lambda w: w.starts_at)
