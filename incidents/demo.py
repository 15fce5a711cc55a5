"""Demo data for `manage.py seed_demo`. Idempotent: running it twice changes nothing."""

from .models import Component, ComponentGroup, SeverityDefinition

GROUPS = [("Web", 0), ("Platform", 1), ("Infrastructure", 2)]
COMPONENTS = [
    ("Website", "Public site and marketing pages", "Web", 1),
    ("API", "Public REST API", "Platform", 1),
    ("Payments", "Checkout and billing", "Platform", 2),
    ("Database", "Primary PostgreSQL cluster", "Infrastructure", 1),
]
SEVERITIES = [
    (
        "sev1",
        "Critical",
        "Customers cannot use a core feature, or data is at risk. All hands; update customers every 30 minutes.",
    ),
    ("sev2", "Major", "A core feature is degraded for many customers. Page the on-call; update customers hourly."),
    ("sev3", "Minor", "A non-core feature is broken or a few customers are affected. Fix in working hours."),
    ("sev4", "Low", "Cosmetic or internal only. No page."),
]


def seed() -> None:
    for level, name, description in SEVERITIES:
        SeverityDefinition.objects.get_or_create(level=level, defaults={"name": name, "description": description})
    groups = {
        name: ComponentGroup.objects.get_or_create(name=name, defaults={"position": pos})[0] for name, pos in GROUPS
    }
    for name, description, group, position in COMPONENTS:
        Component.objects.get_or_create(
            name=name, defaults={"description": description, "group": groups[group], "position": position}
        )
