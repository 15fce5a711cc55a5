"""Demo monitors for `manage.py seed_demo`, one of each kind, with a day of history so the list's
sparklines, the uptime figures and the response-time chart have something to show.
Idempotent: a monitor that exists already is left alone."""

import random
from datetime import timedelta

from django.utils import timezone

from incidents.models import Component

from . import heartbeat_schedule, rollups
from .models import CheckResult, Monitor, StateChange

State = Monitor.State
# (name, component, settings); settings name the kind's own fields.
MONITORS = [
    ("Website home page", "Website", {"kind": "http", "target": "https://example.com/", "keyword": "Example Domain"}),
    ("API health (us)", "API", {"kind": "http", "target": "https://api.example.com/healthz", "interval_seconds": 30}),
    (
        "API health (eu)",
        "API",
        {"kind": "http", "target": "https://api.eu.example.com/healthz", "interval_seconds": 30},
    ),
    ("Database port", "Database", {"kind": "tcp", "target": "db.example.com", "port": 5432}),
    ("Website certificate", "Website", {"kind": "tls", "target": "example.com", "interval_seconds": 3600}),
    ("Mail exchanger", None, {"kind": "dns", "target": "example.com", "record_type": "MX", "interval_seconds": 300}),
    ("Nightly backup", "Database", {"kind": "heartbeat", "cron": "0 3 * * *", "grace_seconds": 1800}),
]
# The API's eu replica had a 20-minute outage six hours ago: redundancy lost, not an outage.
OUTAGE = ("API health (eu)", timedelta(hours=6), timedelta(minutes=20), "HTTP 502 (expected 200-299)")
DEPENDS_ON = {"API health (us)": ["Database port"], "API health (eu)": ["Database port"]}
STEP = timedelta(minutes=5)


def seed() -> None:
    now = timezone.now().replace(microsecond=0)
    components = {c.name: c for c in Component.objects.all()}
    created = []
    for name, component, settings in MONITORS:
        monitor, new = Monitor.objects.get_or_create(
            name=name,
            defaults={
                **settings,
                "component": components.get(component),
                "created_at": now - timedelta(days=1),
                "next_check_at": now,
            },
        )
        if new:
            created.append(monitor)
    by_name = {m.name: m for m in Monitor.objects.filter(name__in=DEPENDS_ON.keys() | {"Database port"})}
    for child in created:
        child.parents.set(by_name[parent] for parent in DEPENDS_ON.get(child.name, []))
    for monitor in created:
        _history(monitor, now)
    if created:
        rollups.roll_up(now, since=now - timedelta(days=1))  # the uptime figures read these


def _history(monitor: Monitor, now) -> None:
    """A day of checks every five minutes (a heartbeat: its last night's ping) and the state changes."""
    start = now - timedelta(days=1)
    changes = [StateChange(monitor=monitor, at=start, from_state=State.PENDING, to_state=State.UP)]
    if monitor.is_heartbeat:
        last_ping = (now - timedelta(hours=(now.hour - 3) % 24)).replace(minute=0, second=4)
        monitor.state, monitor.state_changed_at, monitor.last_ping_at = State.UP, start, last_ping
        monitor.next_check_at = heartbeat_schedule.next_deadline(monitor, now)
        monitor.save(update_fields=["state", "state_changed_at", "last_ping_at", "next_check_at"])
        StateChange.objects.bulk_create(changes)
        return
    name, ago, length, reason = OUTAGE
    down_from, down_until = now - ago, now - ago + length
    rng = random.Random(monitor.name)  # the same demo every time  # noqa: S311 (not for security)
    base = {"http": 120, "tcp": 2, "tls": 40, "dns": 15}[monitor.kind]
    results = []
    at = start
    while at < now:
        down = monitor.name == name and down_from <= at < down_until
        results.append(
            CheckResult(
                monitor=monitor,
                checked_at=at,
                outcome=CheckResult.Outcome.DOWN if down else CheckResult.Outcome.UP,
                latency_ms=round(base * rng.uniform(0.7, 1.6), 1),
                status_code=(502 if down else 200) if monitor.kind == "http" else None,
                reason=reason if down else "",
            )
        )
        at += STEP
    CheckResult.objects.bulk_create(results)
    last_failure = {}
    if monitor.name == name:
        changes += [
            StateChange(monitor=monitor, at=down_from, from_state=State.UP, to_state=State.DOWN, reason=reason),
            StateChange(monitor=monitor, at=down_until, from_state=State.DOWN, to_state=State.UP),
        ]
        last_failure = {"last_failure_at": down_until - STEP, "last_failure_reason": reason}
    StateChange.objects.bulk_create(changes)
    Monitor.objects.filter(pk=monitor.pk).update(
        state=State.UP,
        state_changed_at=changes[-1].at,
        last_checked_at=results[-1].checked_at,
        last_latency_ms=results[-1].latency_ms,
        recent_outcomes="u" * 20,
        consecutive_successes=20,
        **last_failure,
    )
