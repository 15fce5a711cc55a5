"""Demo data for `manage.py seed_demo`. Idempotent: running it twice changes nothing."""

from .models import Component

COMPONENTS = [
    ("Website", "Public site and marketing pages", "Web", 1),
    ("API", "Public REST API", "Platform", 1),
    ("Payments", "Checkout and billing", "Platform", 2),
    ("Database", "Primary PostgreSQL cluster", "Infrastructure", 1),
]


def seed() -> None:
    for name, description, group, position in COMPONENTS:
        Component.objects.get_or_create(
            name=name, defaults={"description": description, "group": group, "position": position}
        )
