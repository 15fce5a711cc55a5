"""How far a public update's fan-out has gone: counts by state, for the incident page and the API."""

from django.db.models import Count, Q

from incidents.models import IncidentUpdate

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


def notification_figures(incident) -> dict:
    """Who the incident's public updates reached, and what became of each outbox row. One query.

    For a post-mortem's impact (incidents.signals.incident_figures: "notifications").
    stakeholders, subscribers (status page), endpoints (webhooks, Slack): each counted once however
    many updates and media reached them. messages: outbox rows (one per update, recipient and
    channel). sent: the provider took it (sent, delivered or bounced since). delivered: the
    provider reported it delivered. failed: refused for good, or bounced. pending: still queued
    or sending when drafted.
    """
    row = "notifications"
    states = {
        "sent": [State.SENT, State.DELIVERED, State.BOUNCED],
        "delivered": [State.DELIVERED],
        "failed": [State.FAILED, State.BOUNCED],
        "bounced": [State.BOUNCED],
        "pending": [State.QUEUED, State.SENDING],
        "cancelled": [State.CANCELLED],
    }
    return IncidentUpdate.objects.filter(incident=incident).aggregate(
        updates=Count("pk", distinct=True),
        messages=Count(row),
        stakeholders=Count(f"{row}__stakeholder", distinct=True),
        subscribers=Count(f"{row}__subscriber", distinct=True),
        endpoints=Count(f"{row}__endpoint", distinct=True),
        **{name: Count(row, filter=Q(**{f"{row}__state__in": values})) for name, values in states.items()},
    )
