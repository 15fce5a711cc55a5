"""The comms API, tried by every persona."""

import pytest

from comms.models import Endpoint, IncidentAudience, Notification, Stakeholder, StakeholderGroup, State
from tests.conftest import assert_api_outcome

ROLES = ["admin", "responder", "viewer", "anonymous"]


def test_a_phone_is_stored_in_e164_and_a_bad_one_is_a_400(api_clients):
    client = api_clients["admin"]
    made = client.post("/api/v1/stakeholders/", {"name": "Ada", "phone": "+1 (415) 555-2671"}, format="json")
    assert made.status_code == 201 and made.json()["phone"] == "+14155552671"
    bad = client.post("/api/v1/stakeholders/", {"name": "Bo", "phone": "555"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attr"] == "phone"
    channels = client.post("/api/v1/stakeholders/", {"name": "Cy", "channels": ["fax"]}, format="json")
    assert channels.status_code == 400


def test_import_previews_then_imports_the_good_rows(api_clients):
    client = api_clients["admin"]
    text = "name,email,phone\nAda,ada@example.com,+14155552671\nBo,bo@example.com,12\n"
    preview = client.post("/api/v1/stakeholders/import/", {"csv": text, "dry_run": True}, format="json").json()
    assert (preview["good"], preview["created"], [b["line"] for b in preview["bad"]]) == (1, 0, [3])
    assert Stakeholder.objects.count() == 0
    done = client.post("/api/v1/stakeholders/import/", {"csv": text}, format="json").json()
    assert (done["created"], done["good"]) == (1, 1)
    assert list(Stakeholder.objects.values_list("name", flat=True)) == ["Ada"]
    unreadable = client.post("/api/v1/stakeholders/import/", {"csv": "colour\nred\n"}, format="json")
    assert unreadable.status_code == 400


@pytest.mark.parametrize("role", ROLES)
def test_who_may_do_what(api_clients, role, incident):
    client = api_clients[role]
    group = StakeholderGroup.objects.create(name="Leadership")
    row = Notification.objects.create(medium="email", channel="sandbox", destination="a@example.com", body="x")
    Notification.objects.filter(pk=row.pk).update(state=State.FAILED)
    everyone = {"admin", "responder", "viewer"}
    assert_api_outcome(role, everyone, client.get("/api/v1/notifications/?state=failed"))
    assert_api_outcome(role, {"admin", "responder"}, client.post(f"/api/v1/notifications/{row.pk}/retry/"))
    assert_api_outcome(role, {"admin"}, client.post("/api/v1/stakeholders/import/", {"csv": "name\nZ\n"}))
    audience = {"incident": incident.pk, "groups": [group.pk]}
    assert_api_outcome(role, {"admin", "responder"}, client.post("/api/v1/incident-audiences/", audience))
    hook = {"name": "Hook", "kind": "webhook", "url": "https://hooks.example.com/x", "secret": "k"}
    made = client.post("/api/v1/comms-endpoints/", hook)
    assert_api_outcome(role, {"admin"}, made)
    if made.status_code == 201:
        assert "secret" not in made.json()
        assert Endpoint.objects.get().secret == "k"
    assert IncidentAudience.objects.filter(incident=incident).exists() == (role in {"admin", "responder"})


def test_progress_counts_an_updates_rows(api_clients, actor, incident):
    from incidents.services import do_post_update

    update = do_post_update(actor, incident, "investigating", "Looking.")
    for state in (State.SENT, State.SENT, State.FAILED, State.QUEUED):
        Notification.objects.create(update=update, medium="email", channel="sandbox", destination="a", body="b")
        Notification.objects.filter(pk=Notification.objects.latest("id").pk).update(state=state)
    progress = api_clients["viewer"].get(f"/api/v1/notifications/progress/?update={update.pk}").json()
    assert progress == {
        "total": 4, "queued": 1, "sent": 2, "delivered": 0, "bounced": 0, "failed": 1, "percent": 75,
        "running": True,
    }  # fmt: skip
    assert api_clients["viewer"].get("/api/v1/notifications/progress/?update=x").status_code == 400
