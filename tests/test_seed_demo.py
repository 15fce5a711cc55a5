from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from comms.models import StakeholderGroup
from incidents.models import Component
from monitoring.models import Monitor
from vigil.roles import Role, role_of


def counts():
    return (
        Component.objects.count(),
        Monitor.objects.count(),
        StakeholderGroup.objects.count(),
        get_user_model().objects.count(),
    )


def test_seed_demo_loads_demo_data_and_is_idempotent(db):
    call_command("seed_demo", stdout=StringIO())
    first = counts()
    assert first[0] >= 3 and first[1] >= 1 and first[2] == 1
    assert role_of(get_user_model().objects.get(username="oncall")) == Role.RESPONDER
    call_command("seed_demo", stdout=StringIO())
    assert counts() == first


def test_ensure_admin_prints_the_login_once(db):
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    line = out.getvalue()
    assert "username admin" in line
    password = line.split("password", 1)[1].strip()
    assert get_user_model().objects.get(username="admin").check_password(password)
    again = StringIO()
    call_command("ensure_admin", stdout=again)
    assert "exists already" in again.getvalue() and password not in again.getvalue()


def test_demo_monitors_watch_this_vigil_only_never_the_internet(db, settings):
    """A new install must start green and never probe a host it does not run: the demo watches Vigil itself."""
    settings.VIGIL_BASE_URL = "http://127.0.0.1:8123"
    call_command("seed_demo", stdout=StringIO())
    monitors = list(Monitor.objects.all())
    assert monitors
    for monitor in monitors:
        if monitor.kind == Monitor.Kind.HEARTBEAT:
            assert monitor.state == Monitor.State.PAUSED and monitor.next_check_at is None
            continue
        host = urlsplit(monitor.target).hostname if "://" in monitor.target else monitor.target
        assert host == "127.0.0.1", (monitor.name, monitor.target)
    http = {m.name: m.target for m in monitors if m.kind == Monitor.Kind.HTTP}
    assert http["Website"] == "http://127.0.0.1:8123/healthz"


def test_demo_history_is_a_resolved_incident_with_updates_and_a_published_postmortem(db):
    """A new install shows the whole path once: declared, updated in public, resolved, learned from."""
    from comms.models import Fanout
    from incidents.models import Incident, Status
    from postmortems.demo import TITLE
    from postmortems.models import PostMortem

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    incident = Incident.objects.get(title=TITLE)
    assert incident.status == Status.RESOLVED
    assert timezone.now() - incident.started_at > timedelta(days=2)
    assert incident.started_at < incident.acknowledged_at < incident.resolved_at
    assert [u.status for u in incident.updates.order_by("created_at")] == [
        "investigating", "identified", "monitoring", "resolved",
    ]  # fmt: skip
    assert incident.postmortem.status == PostMortem.Status.PUBLISHED and incident.postmortem.public_summary
    # History is not news: every update's fan-out is recorded as done, to nobody.
    fanouts = Fanout.objects.filter(update__incident=incident)
    assert fanouts.count() == 4 and all(f.planned_at and f.recipients == 0 for f in fanouts)
