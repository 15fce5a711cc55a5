"""A page's acknowledge link, SMS code and voice key: rendered as it is sent, never stored, good once,
and only while the person paged still holds a role that may acknowledge (incidents.paging)."""

import re

import pytest
from django.core import signing

from comms import outbox, services
from comms.models import Contact, Notification, NotificationRule
from incidents import paging
from incidents.models import Status
from vigil.roles import Role, assign_role

RITA = "+14155552672"


@pytest.fixture
def page(responder, incident, fake_twilio, fake_sendgrid, django_capture_on_commit_callbacks):
    """Rita the responder paged by email and SMS at once, and by voice five minutes on."""
    Contact.objects.create(user=responder, phone=RITA)
    for medium, delay in (("email", 0), ("sms", 0), ("voice", 5)):
        NotificationRule.objects.create(user=responder, medium=medium, delay_minutes=delay)
    with django_capture_on_commit_callbacks(execute=True):
        return paging.page(responder, incident)


def sent(fake_twilio, fake_sendgrid) -> tuple[str, str]:
    """(the SMS text, the email text) as the providers got them."""
    outbox.send_due("twilio_sms")
    outbox.send_due("sendgrid")
    sms = fake_twilio.requests[-1].form["Body"]
    email = fake_sendgrid.requests[-1].json["content"][0]["value"]
    return sms, email


def link_path(text: str) -> str:
    return re.search(r"https?://[^/\s]+(/incidents/ack/[^/\s]+/)", text).group(1)


def test_no_link_or_code_is_stored_but_each_message_carries_them(page, fake_twilio, fake_sendgrid):
    rows = Notification.objects.filter(page=page)
    sms_row = rows.get(medium="sms")
    for stored in [page.message, *rows.values_list("body", flat=True)]:
        assert "/incidents/ack/" not in stored and sms_row.ack_code not in stored
    assert paging.ACK_LINK in page.message and "Reply ACK [ack code] to acknowledge." in sms_row.body
    sms, email = sent(fake_twilio, fake_sendgrid)
    assert sms.endswith(f"Reply ACK {sms_row.ack_code} to acknowledge.")
    assert paging.ACK_LINK not in email and link_path(email).startswith("/incidents/ack/")


def test_a_link_acknowledges_once_and_then_says_by_whom_and_when(
    page, client, responder, incident, fake_twilio, fake_sendgrid
):
    _, email = sent(fake_twilio, fake_sendgrid)
    url = link_path(email)
    assert "Paging has stopped" in client.post(url).content.decode()
    incident.refresh_from_db()
    assert (incident.status, incident.acknowledged_by) == (Status.ACKNOWLEDGED, responder)

    # Reopened, the incident is acknowledged again by someone, never by the same link.
    incident.status = Status.TRIGGERED
    incident.save(update_fields=["status"])
    again = client.post(url)
    assert again.status_code == 410
    text = again.content.decode()
    assert "already used" in text and responder.get_username() in text and 'data-testid="ack-used"' in text
    assert client.get(url).status_code == 410  # a preview says the same, and offers no button
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED
    page.refresh_from_db()
    assert page.link_used_at is not None and page.link_used_via == "link"


def test_the_sms_code_and_the_voice_key_follow_the_same_rule(page, incident, twilio_post, fake_twilio, fake_sendgrid):
    got = delivered(page, fake_twilio, fake_sendgrid)
    assert services.do_acknowledge_by_sms(RITA, got["sms"]).status == Status.ACKNOWLEDGED
    incident.status = Status.TRIGGERED  # as if it had been put back: the same page still cannot answer
    incident.save(update_fields=["status"])

    answer = twilio_post(got["voice"], {"Digits": "1", "CallSid": "CA1"})  # the call's key 1, same page
    assert b"already used" in answer.content
    with pytest.raises(services.ActionError, match="already used"):
        services.do_acknowledge_by_sms(RITA, got["sms"])
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED
    page.refresh_from_db()
    assert page.link_used_via == "sms"


def delivered(page, fake_twilio, fake_sendgrid) -> dict[str, str]:
    """What the person got, as the providers got it: the email's link, the SMS's code, the call's key-1 URL."""
    Notification.objects.filter(page=page).update(next_attempt_at=page.created_at)  # the call is due too
    sms, email = sent(fake_twilio, fake_sendgrid)
    outbox.send_due("twilio_voice")
    twiml = fake_twilio.requests[-1].form["Twiml"]
    return {
        "link": link_path(email),
        "sms": re.search(r"Reply ACK (\d{6})", sms).group(1),
        "voice": re.search(r'action="https?://[^/"]+(/comms/hooks/twilio/voice-ack/[^"/]+/)"', twiml).group(1),
    }


@pytest.mark.parametrize("way", ["link", "sms", "voice"])
@pytest.mark.parametrize("change", ["demoted to viewer", "deactivated"])
def test_a_person_whose_role_was_taken_away_since_the_page_cannot_acknowledge(
    page, client, twilio_post, responder, incident, fake_twilio, fake_sendgrid, way, change
):
    got = delivered(page, fake_twilio, fake_sendgrid)
    if change == "deactivated":
        responder.is_active = False
        responder.save(update_fields=["is_active"])
    else:
        assign_role(responder, Role.VIEWER)
    if way == "link":
        assert client.post(got["link"]).status_code in (403, 404)
    elif way == "sms":
        with pytest.raises(services.ActionError):
            services.do_acknowledge_by_sms(RITA, got["sms"])
    else:
        answer = twilio_post(got["voice"], {"Digits": "1", "CallSid": "CA1"})
        assert answer.status_code == 200 and b"Paging has stopped" not in answer.content
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED and incident.acknowledged_by is None


def test_a_demoted_person_is_told_why(page, client, responder, fake_twilio, fake_sendgrid):
    got = delivered(page, fake_twilio, fake_sendgrid)
    assign_role(responder, Role.VIEWER)
    response = client.post(got["link"])
    assert response.status_code == 403
    assert "may no longer acknowledge" in response.content.decode()


def test_a_link_that_names_no_page_acknowledges_nothing(client, incident, responder):
    old = signing.dumps({"i": incident.pk, "u": responder.pk}, salt=paging.ACK_SALT, compress=True)
    assert client.post(f"/incidents/ack/{old}/").status_code == 404
    gone = signing.dumps({"p": 10**9}, salt=paging.ACK_SALT, compress=True)
    assert client.post(f"/incidents/ack/{gone}/").status_code == 404
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED
