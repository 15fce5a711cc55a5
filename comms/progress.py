"""How far a public update's fan-out has gone: counts by state, for the incident page and the API."""

from django.db.models import Count

from .models import Notification, State

DONE = {State.SENT, State.DELIVERED, State.FAILED, State.CANCELLED}


def update_counts(update) -> dict:
    by_state = dict(Notification.objects.filter(update=update).values_list("state").annotate(n=Count("pk")).order_by())
    total = sum(by_state.values())
    done = sum(n for state, n in by_state.items() if state in DONE)
    return {
        "total": total,
        "queued": by_state.get(State.QUEUED, 0) + by_state.get(State.SENDING, 0),
        "sent": by_state.get(State.SENT, 0),
        "delivered": by_state.get(State.DELIVERED, 0),
        "failed": by_state.get(State.FAILED, 0),
        "percent": round(100 * done / total) if total else 100,
        "running": done < total,
    }
