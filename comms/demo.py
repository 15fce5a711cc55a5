from datetime import timedelta

from django.utils import timezone

from incidents.models import IncidentUpdate

from .models import Fanout, Stakeholder, StakeholderGroup


def seed() -> None:
    group, _ = StakeholderGroup.objects.get_or_create(
        name="Enterprise customers", defaults={"description": "Customers on an enterprise contract"}
    )
    for name, org, email in [
        ("Ada Customer", "Acme Corp", "ops@acme.example"),
        ("Grace Buyer", "Globex", "it@globex.example"),
    ]:
        person, _ = Stakeholder.objects.get_or_create(name=name, defaults={"organisation": org, "email": email})
        person.groups.add(group)
    mark_history_sent()


def mark_history_sent() -> int:
    """The demo's past updates (incidents.demo.seed_history, days old) are history, not news: their
    fan-out is recorded as done, to nobody, before the update's signal would plan it after commit."""
    past = IncidentUpdate.objects.filter(fanout__isnull=True, created_at__lt=timezone.now() - timedelta(days=1))
    rows = [Fanout(update=update, planned_at=timezone.now(), recipients=0) for update in past]
    Fanout.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
