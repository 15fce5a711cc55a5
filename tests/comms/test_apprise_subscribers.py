"""An Apprise status-page subscriber: added by an admin in Django's admin only, confirmed at once, sent a
public update through the real Apprise library (its json:// service, to a receiver on loopback), with no
manage link; its URL masked for everyone else, refused on the public page, and never logged."""

import logging

import pytest

from comms import outbox
from comms.models import Fanout, Notification, State, Subscriber
from incidents.models import PublicStatus
from incidents.services import do_post_update
from tests.conftest import api_client_for

TOKEN = "APPRISE-SUB-SECRET-4hw"
ADD = "/admin/comms/subscriber/add/"


def apprise_url(receiver) -> str:
    return f"json://sub:{TOKEN}@127.0.0.1:{receiver.server.server_address[1]}/status"


def add_by_admin(client, url: str, *components):
    return client.post(ADD, {"address": url, "components": [c.pk for c in components]})


@pytest.fixture
def subscribed(web_clients, api_component, receiver):
    response = add_by_admin(web_clients["admin"], apprise_url(receiver), api_component)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Subscriber.objects.get(kind="apprise")


def post_update(actor, incident, text: str):
    update = do_post_update(actor, incident, PublicStatus.INVESTIGATING, text)
    Fanout.objects.get_or_create(update=update)
    outbox.plan_update(update.pk)
    return update


def test_an_admin_adds_one_following_a_component_and_it_is_confirmed_at_once(subscribed, api_component, receiver):
    assert subscribed.confirmed
    assert list(subscribed.components.all()) == [api_component]
    assert subscribed.address == apprise_url(receiver)
    # Nothing was sent to confirm it: an admin set it.
    assert not Notification.objects.filter(subscriber=subscribed).exists()


def test_a_public_update_on_its_component_reaches_it_through_apprise_without_a_manage_link(
    subscribed, actor, incident, receiver
):
    post_update(actor, incident, "Some calls fail; we are on it.")
    row = Notification.objects.get(subscriber=subscribed)
    assert row.channel == "apprise" and row.medium == "apprise"

    outbox.send_due("apprise")

    (request,) = receiver.requests
    assert "Some calls fail; we are on it." in request.json["message"]
    assert "API errors" in request.json["title"]
    assert "/status/subscription/" not in request.json["message"]
    assert "[manage link]" not in request.json["message"]
    row.refresh_from_db()
    assert row.state == State.SENT


def test_an_update_on_another_component_does_not_reach_it(web_clients, actor, incident, receiver, db):
    from incidents.models import Component

    other = Component.objects.create(name="Billing")
    add_by_admin(web_clients["admin"], apprise_url(receiver), other)
    post_update(actor, incident, "Some calls fail.")
    assert not Notification.objects.filter(subscriber__kind="apprise").exists()


@pytest.mark.parametrize("url", ["nope://hooks.example/x", "https://hooks.example/x", "json://a json://b"])
def test_the_admin_form_refuses_a_url_apprise_cannot_use(web_clients, db, url):
    response = add_by_admin(web_clients["admin"], url)
    assert response.status_code == 200
    assert "Apprise cannot use this URL" in response.content.decode()
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize("persona", ["responder", "viewer"])
def test_a_responder_or_viewer_cannot_add_one(web_clients, receiver, persona):
    response = add_by_admin(web_clients[persona], apprise_url(receiver))
    # Django's admin is for staff (admins) only: anyone else is sent to its login page, never to a form.
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Subscriber.objects.exists()


def test_only_admins_see_its_url(subscribed, actor, incident, personas):
    post_update(actor, incident, "Some calls fail.")
    row = Notification.objects.get(subscriber=subscribed)
    for name, sees in [("admin", True), ("responder", False), ("viewer", False)]:
        listed = api_client_for(personas[name]).get(f"/api/v1/notifications/{row.pk}/").json()
        assert (TOKEN in str(listed)) is sees, name
        if not sees:
            assert listed["destination"] == "json://•••"


def test_its_manage_link_opens_nothing(subscribed, client):
    from comms.status.subscribers import services

    response = client.get(services.manage_url(subscribed))
    assert "managed by the page&#x27;s administrators" in response.content.decode()


@pytest.mark.parametrize(
    "form",
    [
        {"kind": "apprise", "url": "json://hooks.example/x"},
        {"kind": "apprise", "email": "someone@example.com"},
        {"url": "tgram://123456:ABCDEF/987"},
    ],
)
def test_the_public_sign_up_refuses_the_apprise_kind(client, db, form):
    response = client.post("/status/subscribe/", form)
    assert response.status_code == 400
    assert "Apprise subscriptions cannot be made on this page" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_the_sign_up_action_refuses_it_too(actor, db):
    from comms.status.subscribers import services

    with pytest.raises(services.SubscriptionError, match="administrators set them up"):
        services.do_subscribe(actor, "apprise", "json://hooks.example/x", [])


def test_the_url_never_reaches_the_logs(web_clients, api_component, actor, incident, receiver, caplog):
    # The normal back-off: one send_due makes exactly one attempt, however slow the machine.
    caplog.set_level(logging.DEBUG)
    add_by_admin(web_clients["admin"], apprise_url(receiver), api_component)
    add_by_admin(web_clients["admin"], apprise_url(receiver), api_component)  # refused: subscribed already
    receiver.fail_next(1, 500)
    post_update(actor, incident, "Some calls fail.")
    outbox.send_due("apprise")
    assert Notification.objects.get(subscriber__kind="apprise").attempts == 1
    assert TOKEN not in caplog.text
    assert TOKEN not in Notification.objects.get(subscriber__kind="apprise").error
