"""Demo monitors for `manage.py seed_demo`.

They watch this Vigil itself (its health endpoint, its public status JSON, its web port), so a
new install starts green and stays green, and a demo never probes a host on the internet. The
heartbeat is paused until a job pings it. Idempotent: a monitor that exists already is left alone.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from incidents.models import Component

from .models import Monitor

State = Monitor.State


def monitors() -> list[tuple[str, str | None, dict]]:
    """(name, component, settings) of each demo monitor; settings name the kind's own fields."""
    base = settings.VIGIL_BASE_URL
    web = urlsplit(base)
    port = web.port or (443 if web.scheme == "https" else 80)
    return [
        ("Website", "Website", {"kind": "http", "target": f"{base}/healthz", "interval_seconds": 30}),
        (
            "Public status API",
            "API",
            {"kind": "http", "target": f"{base}/api/v2/status.json", "keyword": "indicator", "interval_seconds": 60},
        ),
        ("Web server port", None, {"kind": "tcp", "target": web.hostname, "port": port, "interval_seconds": 60}),
        (
            "Nightly backup",
            "Database",
            {"kind": "heartbeat", "cron": "0 3 * * *", "grace_seconds": 1800, "state": State.PAUSED},
        ),
    ]


def seed() -> list[Monitor]:
    """The demo monitors that did not exist yet. They start pending: the first checks come within 30 s."""
    now = timezone.now().replace(microsecond=0)
    components = {c.name: c for c in Component.objects.all()}
    created = []
    for name, component, fields in monitors():
        monitor, new = Monitor.objects.get_or_create(
            name=name,
            defaults={
                **fields,
                "component": components.get(component),
                "next_check_at": None if fields.get("state") == State.PAUSED else now,
            },
        )
        if new:
            created.append(monitor)
    return created
