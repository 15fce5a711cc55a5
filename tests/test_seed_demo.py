from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

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
