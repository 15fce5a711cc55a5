"""How far a public update's fan-out has gone: counts by state, for the incident page and the API."""

from django.db.models import Count

from .models import Notification, State

DONE = {State.SENT, State.DELIVERED, State.BOUNCED, State.FAILED, State.CANCELLED}


def update_counts(update) -> dict:
    by_state = dict(Notification.objects.filter(update=update).values_list("state").annotate(n=Count("pk")).order_by())
    return summarise(by_state)


def counts_by_update(updates) -> dict[int, dict]:
    """update_counts of each of UPDATES, in one query (the incident page lists every update)."""
    ids = [update.pk for update in updates]
    by_update: dict[int, dict] = {pk: {} for pk in ids}
    rows = Notification.objects.filter(update__in=ids).values_list("update", "state").annotate(n=Count("pk"))
    for update_id, state, n in rows.order_by():
        by_update[update_id][state] = n
    return {pk: summarise(by_state) for pk, by_state in by_update.items()}


def summarise(by_state: dict[str, int]) -> dict:
    total = sum(by_state.values())
    done = sum(n for state, n in by_state.items() if state in DONE)
    return {
        "total": total,
        "queued": by_state.get(State.QUEUED, 0) + by_state.get(State.SENDING, 0),
        "sent": by_state.get(State.SENT, 0),
        "delivered": by_state.get(State.DELIVERED, 0),
        "bounced": by_state.get(State.BOUNCED, 0),
        "failed": by_state.get(State.FAILED, 0),
        "percent": round(100 * done / total) if total else 100,
        "running": done < total,
    }
