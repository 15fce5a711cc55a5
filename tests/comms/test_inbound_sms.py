"""Texts to Vigil's number: STOP and START opt a number out of SMS and back in; ACK <code> acknowledges a page."""

import json
import re
from pathlib import Path

import pytest

from comms import outbox
from comms.models import Contact, Fanout, Notification, NotificationRule, Stakeholder, State
from incidents import paging
from incidents.models import PublicStatus, Status
from incidents.services import do_declare, do_post_update
from vigil.models import AuditEntry

FIXTURES = Path(__file__).parent / "fixtures"
PATH = "/comms/hooks/twilio/sms/"
ADA = "+14155552671"
RITA = "+14155552672"


@pytest.fixture
def text(twilio_post, fake_twilio):
    """Text BODY from NUMBER to Vigil, as Twilio posts it (signed); returns the TwiML answer's message."""

    def send(number: str, body: str) -> str:
        fields = json.loads((FIXTURES / "twilio_status.json").read_text())["sms_inbound"]
        data = {key: value.replace("{from}", number).replace("{body}", body) for key, value in fields.items()}
        response = twilio_post(PATH, data)
        assert response.status_code == 200 and response["Content-Type"] == "text/xml"
        return re.search(r"<Message>(.*)</Message>", response.content.decode(), re.S).group(1)

    return send


@pytest.fixture
def ada(api_component):
    ada = Stakeholder.objects.create(name="Ada", email="ada@example.com", phone=ADA, channels=["email", "sms"])
    ada.components.add(api_component)
    return ada


@pytest.fixture
def paged(responder, incident, fake_twilio, django_capture_on_commit_callbacks):
    """Rita the responder paged by SMS at once; returns the code her SMS asked her to reply with."""
    Contact.objects.create(user=responder, phone=RITA)
    NotificationRule.objects.create(user=responder, medium="sms", delay_minutes=0)
    with django_capture_on_commit_callbacks(execute=True):
        paging.page(responder, incident)
    outbox.send_due("twilio_sms")
    body = fake_twilio.requests[-1].form["Body"]
    assert body.count("Reply ACK") == 1, "one way to acknowledge, with the row's code"
    return re.search(r"Reply ACK (\d{6}) to acknowledge\.$", body).group(1)


def plan(actor, incident) -> list[tuple[str, str]]:
    update = do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Errors on the API.")
    Fanout.objects.create(update=update)
    outbox.plan_update(update.pk)
    return sorted(Notification.objects.filter(update=update).values_list("medium", "destination"))


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop ", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"])
def test_twilios_opt_out_words_opt_the_number_out_of_sms(text, ada, word, actor, incident):
    assert "no more texts" in text(ADA, word)
    ada.refresh_from_db()
    assert ada.opted_out == ["sms"]
    assert plan(actor, incident) == [("email", "ada@example.com")], "email still goes"
    assert AuditEntry.objects.filter(action="comms.sms_opt_out", via="sms").exists()


def test_stop_inside_a_sentence_is_not_an_opt_out(text, ada):
    assert "reply ACK" in text(ADA, "please stop the noise")
    ada.refresh_from_db()
    assert ada.opted_out == []


@pytest.mark.parametrize("word", ["START", "unstop"])
def test_start_opts_back_in(text, ada, word, actor, incident):
    text(ADA, "STOP")
    assert "texts from this number again" in text(ADA, word)
    ada.refresh_from_db()
    assert ada.opted_out == []
    assert plan(actor, incident) == [("email", "ada@example.com"), ("sms", ADA)]


def test_stop_cancels_the_sms_still_queued_for_the_number(text, ada, actor, incident):
    plan(actor, incident)
    text(ADA, "STOP")
    rows = dict(Notification.objects.values_list("medium", "state"))
    assert rows == {"email": State.QUEUED, "sms": State.CANCELLED}


def test_a_responder_who_texts_stop_is_paged_without_sms_until_start(
    text, paged, responder, actor, django_capture_on_commit_callbacks
):
    def page_again():
        incident, _ = do_declare(actor, title="Another")
        with django_capture_on_commit_callbacks(execute=True):
            paging.page(responder, incident)
        return sorted(Notification.objects.filter(page__incident=incident).values_list("medium", flat=True))

    text(RITA, "STOP")
    assert Contact.objects.get(user=responder).sms_opted_out
    assert page_again() == [], "her only rule is SMS"
    text(RITA, "START")
    assert page_again() == ["sms"]


def test_ack_with_the_code_acknowledges_the_page_as_the_person_paged(text, paged, responder, incident):
    assert text(RITA, f"ack {paged}") == f"Vigil: acknowledged #{incident.pk} {incident.title}."
    incident.refresh_from_db()
    assert (incident.status, incident.acknowledged_by) == (Status.ACKNOWLEDGED, responder)
    assert "already used, by rita-responder" in text(RITA, f"ACK {paged}")  # a page's code acknowledges once


def test_a_wrong_code_or_another_number_acknowledges_nothing(text, paged, incident):
    wrong = "000000" if paged != "000000" else "111111"
    assert text(RITA, f"ACK {wrong}") == f"Vigil: no page sent to this number has the code {wrong}."
    assert "no page sent to this number" in text(ADA, f"ACK {paged}")
    assert text(RITA, "ACK") == "Vigil: send ACK and the page's code."
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED


def test_forged_or_unsigned_texts_are_refused(client, twilio_post, ada, paged, incident):
    data = {"From": RITA, "Body": f"ACK {paged}"}
    assert twilio_post(PATH, data, signature="forged").status_code == 403
    assert client.post(PATH, data).status_code == 403
    assert client.post(PATH, {"From": ADA, "Body": "STOP"}).status_code == 403
    incident.refresh_from_db()
    ada.refresh_from_db()
    assert (incident.status, ada.opted_out) == (Status.TRIGGERED, [])


def test_the_page_sms_says_how_to_acknowledge_even_from_a_template_without_the_code():
    assert outbox.page_sms("[SEV1] #4 API errors", "123456") == "[SEV1] #4 API errors\nReply ACK 123456 to acknowledge."
    assert outbox.page_sms("Text ACK 123456 to take it.", "123456") == "Text ACK 123456 to take it."
