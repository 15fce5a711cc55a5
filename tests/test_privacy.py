"""vigil.privacy: the masks, and what each role gets from the API, the Outbox page and Django's admin."""

import pytest

from comms.models import Endpoint, Notification, Stakeholder
from comms.models.outbox import State
from incidents.models import Integration, Schedule
from monitoring.models import Monitor
from vigil.models import ApiKey

HIDDEN = "••••••"  # vigil.privacy.HIDDEN (imported in the tests of the module itself, so the others run without it)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/•••"),
        ("https://user:pass@api.example.com:8443/health?token=abc", "https://api.example.com:8443/•••"),
        ("http://[2001:db8::1]/x", "http://[2001:db8::1]/•••"),
        ("https://example.com", "https://example.com/"),
        ("not a url", HIDDEN),
    ],
)
def test_a_url_keeps_its_scheme_and_host_only(value, masked):
    from vigil import privacy

    assert privacy.mask_url(value) == masked


def test_an_email_keeps_its_domain_and_a_phone_its_last_two_digits():
    from vigil import privacy

    assert privacy.mask_email("ada@example.com") == "•••@example.com"
    assert privacy.mask_phone("+14155550187") == "•••••87"
    assert privacy.mask_address("+14155550187") == "•••••87"
    assert privacy.mask_address("ada@example.com") == "•••@example.com"
    assert privacy.mask_address("https://hooks.example/abc") == "https://hooks.example/•••"
    assert privacy.mask_headers({"Authorization": "Bearer x", "Accept": "text/html"}) == {
        "Authorization": HIDDEN,
        "Accept": HIDDEN,
    }
    assert privacy.mask_target("db.internal") == "db.internal"  # a TCP or DNS target's host is no secret


def test_nobody_asking_sees_everything_masked(db):
    from vigil import privacy

    person = Stakeholder(name="Ada", email="ada@example.com")
    assert privacy.shown(None, person, "email") == "•••@example.com"


@pytest.fixture
def monitor(db):
    return Monitor.objects.create(
        name="Checkout",
        kind="http",
        target="https://pm:s3cret-pass@api.example.com/health?key=k3y",
        headers={"Authorization": "Bearer t0ken"},
        body='{"login": "svc"}',
    )


def test_the_api_masks_monitor_credentials_for_viewers_only(monitor, api_clients):
    viewer = api_clients["viewer"].get(f"/api/v1/monitors/{monitor.pk}/").json()
    assert viewer["target"] == "https://api.example.com/•••"
    assert viewer["headers"] == {"Authorization": HIDDEN} and viewer["body"] == HIDDEN
    responder = api_clients["responder"].get(f"/api/v1/monitors/{monitor.pk}/").json()
    assert responder["target"] == monitor.target and responder["headers"] == {"Authorization": "Bearer t0ken"}


def test_a_viewer_cannot_spell_out_a_target_by_searching(monitor, api_clients, web_clients):
    assert api_clients["viewer"].get("/api/v1/monitors/", {"search": "s3cret"}).json()["count"] == 0
    assert api_clients["responder"].get("/api/v1/monitors/", {"search": "s3cret"}).json()["count"] == 1
    assert "Checkout" not in web_clients["viewer"].get("/monitors/", {"q": "s3cret"}).content.decode()
    assert "Checkout" in web_clients["responder"].get("/monitors/", {"q": "s3cret"}).content.decode()


def test_a_heartbeats_ping_url_is_masked_for_viewers(api_clients, web_clients, db):
    beat = Monitor.objects.create(name="Backup", kind="heartbeat")
    token = str(beat.ping_token)
    assert token not in api_clients["viewer"].get(f"/api/v1/monitors/{beat.pk}/").content.decode()
    assert token in api_clients["responder"].get(f"/api/v1/monitors/{beat.pk}/").json()["ping_url"]
    page = web_clients["viewer"].get(f"/monitors/{beat.pk}/").content.decode()
    assert token not in page and "shown to admins and responders only" in page


def test_a_slack_url_is_an_admins_alone(api_clients, db):
    hook = Endpoint.objects.create(name="Ops", kind="slack", url="https://hooks.slack.com/services/T0/B0/XYZ")
    for role in ("viewer", "responder"):
        assert api_clients[role].get(f"/api/v1/comms-endpoints/{hook.pk}/").json()["url"] == (
            "https://hooks.slack.com/•••"
        )
    assert api_clients["admin"].get(f"/api/v1/comms-endpoints/{hook.pk}/").json()["url"] == hook.url


def test_stakeholders_contacts_are_masked_for_viewers(api_clients, db):
    Stakeholder.objects.create(name="Ada", email="ada@example.com", phone="+14155550187")
    [viewer] = api_clients["viewer"].get("/api/v1/stakeholders/").json()["results"]
    assert (viewer["email"], viewer["phone"]) == ("•••@example.com", "•••••87")
    [responder] = api_clients["responder"].get("/api/v1/stakeholders/").json()["results"]
    assert (responder["email"], responder["phone"]) == ("ada@example.com", "+14155550187")


@pytest.fixture
def rows(db, personas):
    to_person = Notification.objects.create(
        medium="email", channel="sandbox", destination="ada@example.com", body="Checkout is down.",
        stakeholder=Stakeholder.objects.create(name="Ada", email="ada@example.com"),
        state=State.FAILED, error="550 ada@example.com: no such user",
    )  # fmt: skip
    from comms.models import Subscriber

    subscriber = Subscriber.objects.create(kind="sms", address="+14155550164")
    to_public = Notification.objects.create(
        medium="sms", channel="sandbox", destination=subscriber.address, body="Checkout is down.", subscriber=subscriber
    )
    return to_person, to_public


def test_the_outbox_api_masks_by_recipient(rows, api_clients):
    to_person, to_public = rows
    viewer = api_clients["viewer"].get(f"/api/v1/notifications/{to_person.pk}/").json()
    assert (viewer["destination"], viewer["body"], viewer["error"]) == ("•••@example.com", HIDDEN, HIDDEN)
    responder = api_clients["responder"].get(f"/api/v1/notifications/{to_person.pk}/").json()
    assert responder["destination"] == "ada@example.com" and responder["body"] == "Checkout is down."
    # A member of the public's number: an admin's alone.
    assert api_clients["responder"].get(f"/api/v1/notifications/{to_public.pk}/").json()["destination"] == "•••••64"
    assert api_clients["admin"].get(f"/api/v1/notifications/{to_public.pk}/").json()["destination"] == "+14155550164"


def test_the_outbox_page_masks_by_recipient(rows, web_clients):
    viewer = web_clients["viewer"].get("/comms/outbox/").content.decode()
    assert "•••@example.com" in viewer and "•••••64" in viewer
    assert "ada@example.com" not in viewer and "+14155550164" not in viewer and "no such user" not in viewer
    responder = web_clients["responder"].get("/comms/outbox/").content.decode()
    assert "ada@example.com" in responder and "no such user" in responder and "+14155550164" not in responder


# --- Django's admin ----------------------------------------------------------------------------------------


def test_the_admin_never_echoes_an_endpoints_secret_and_keeps_it_when_left_blank(web_clients, db):
    hook = Endpoint.objects.create(name="Hook", kind="webhook", url="https://example.com/h", secret="k-3xq-secret")
    url = f"/admin/comms/endpoint/{hook.pk}/change/"
    page = web_clients["admin"].get(url)
    assert page.status_code == 200 and "k-3xq-secret" not in page.content.decode()
    form = {"name": "Hook", "kind": "webhook", "url": "https://example.com/h", "secret": "", "enabled": "on"}
    form["created_at_0"], form["created_at_1"] = "2026-01-01", "00:00:00"
    assert web_clients["admin"].post(url, form).status_code == 302
    hook.refresh_from_db()
    assert hook.secret == "k-3xq-secret"
    web_clients["admin"].post(url, {**form, "secret": "new-key"})
    hook.refresh_from_db()
    assert hook.secret == "new-key"


def test_the_admin_masks_tokens_codes_and_hashes(web_clients, personas, db):
    beat = Monitor.objects.create(name="Backup", kind="heartbeat")
    schedule = Schedule.objects.create(name="Platform")
    integration = Integration.objects.create(name="Prom", kind="alertmanager")
    row = Notification.objects.create(medium="sms", channel="sandbox", destination="+1", body="x", ack_code="493817")
    key = ApiKey.objects.filter(user=personas["admin"]).first()
    if key is None:
        from vigil.audit import Actor
        from vigil.services import do_create_api_key

        key, _ = do_create_api_key(Actor(user=personas["admin"]), personas["admin"], "ci")
    client = web_clients["admin"]
    pages = {
        str(beat.ping_token): f"/admin/monitoring/monitor/{beat.pk}/change/",
        schedule.ical_token: f"/admin/incidents/schedule/{schedule.pk}/change/",
        integration.token: f"/admin/incidents/integration/{integration.pk}/change/",
        "493817": f"/admin/comms/notification/{row.pk}/change/",
        key.hashed_key: f"/admin/vigil/apikey/{key.pk}/change/",
    }
    for secret, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert secret not in response.content.decode(), url
    assert HIDDEN + integration.token[-4:] in client.get(pages[integration.token]).content.decode()
