from incidents.models import Component

from .models import Monitor


def seed() -> None:
    for name, kind, target, component in [
        ("Website home page", Monitor.Kind.HTTP, "https://example.com/", "Website"),
        ("API health", Monitor.Kind.HTTP, "https://api.example.com/healthz", "API"),
        ("Nightly backup", Monitor.Kind.HEARTBEAT, "", "Database"),
    ]:
        Monitor.objects.get_or_create(
            name=name,
            defaults={"kind": kind, "target": target, "component": Component.objects.filter(name=component).first()},
        )
