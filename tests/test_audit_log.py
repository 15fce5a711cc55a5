"""The audit log records who did what, to which object, when and from where."""

from django.contrib.auth.models import Group

from tests.conftest import make_user
from vigil.models import AuditEntry
from vigil.roles import Role


def test_changes_in_django_admin_are_audited_with_the_address(web_clients, admin_user):
    response = web_clients["admin"].post(
        "/admin/incidents/component/add/",
        {
            "name": "Search",
            "status": "operational",
            "position": 0,
            "slo": "99.9",
            "created_at_0": "2026-11-26",
            "created_at_1": "10:00:00",
        },
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302, response.content
    entry = AuditEntry.objects.get(action="admin.add")
    assert entry.actor == admin_user and entry.ip == "198.51.100.4"
    assert entry.details["object"] == "Search" and entry.details["model"] == "incidents.component"


def test_putting_someone_in_the_admin_group_opens_the_admin_to_them(roles):
    user = make_user("new-admin", None)
    assert not user.is_staff
    user.groups.add(Group.objects.get(name=Role.ADMIN.value))
    user.refresh_from_db()
    assert user.is_staff
    user.groups.clear()
    user.refresh_from_db()
    assert not user.is_staff


def test_the_audit_log_is_read_only_in_the_admin(web_clients, responder):
    from incidents.services import do_declare
    from vigil.audit import Actor

    do_declare(Actor(user=responder), title="x")
    entry = AuditEntry.objects.first()
    assert web_clients["admin"].get(f"/admin/vigil/auditentry/{entry.pk}/delete/").status_code == 403
    assert web_clients["admin"].get("/admin/vigil/auditentry/").status_code == 200
