"""Twilio's status callbacks move outbox rows forward (delivered, bounced, failed), signed or refused."""

import json
import logging
from pathlib import Path

import pytest

from comms import outbox
from comms.models import Contact, Fanout, Notification, NotificationRule, Stakeholder, State
from incidents import paging
from incidents.models import Page, PublicStatus
from incidents.services import do_post_update

FIXTURES = Path(__file__).parent / "fixtures"
PHONES = ["+14155552671", "+14155552672"]


def form(name: str, **values) -> dict:
    """A real callback's form from fixtures/twilio_status.json, with {sid}, {to} and such filled in."""
    fields = json.loads((FIXTURES / "twilio_status.json").read_text())[name]
    return {key: value.format(**values) for key, value in fields.items()}


def status_path(row) -> str:
    return f"/comms/hooks/twilio/status/{row.pk}/"


@pytest.fixture
def planned(actor, incident, api_component, fake_twilio):
    """The queued rows of one update to PHONES, by MEDIUM (sms or voice)."""

    def plan(medium="sms"):
        people = Stakeholder.objects.bulk_create(Stakeholder(name=p, phone=p, channels=[medium]) for p in PHONES)
        api_component.interested_stakeholders.add(*people)
        update = do_post_update(actor, incident, PublicStatus.INVESTIGATING, "Errors on the API.")
        Fanout.objects.create(update=update)
        outbox.plan_update(update.pk)
        return list(Notification.objects.filter(update=update).order_by("destination"))

    return plan


@pytest.fixture
def sent(planned):
    """Two SMS Twilio accepted, one to each of PHONES."""
    planned()
    outbox.send_due("twilio_sms")
    return list(Notification.objects.order_by("destination"))


def test_each_message_names_its_own_status_callback(sent, fake_twilio, settings):
    callbacks = {r.form["To"]: r.form["StatusCallback"] for r in fake_twilio.requests}
    for row in sent:
        assert callbacks[row.destination] == f"{settings.VIGIL_BASE_URL}/comms/hooks/twilio/status/{row.pk}/"


def test_delivered_is_recorded_and_a_late_sent_does_not_undo_it(sent, twilio_post):
    row = sent[0]
    delivered = twilio_post(status_path(row), form("sms_delivered", sid=row.provider_id, to=row.destination))
    assert delivered.status_code == 204
    row.refresh_from_db()
    assert row.state == State.DELIVERED and row.delivered_at is not None
    assert twilio_post(status_path(row), form("sms_sent", sid=row.provider_id, to=row.destination)).status_code == 204
    assert twilio_post(status_path(row), form("sms_failed", sid=row.provider_id, to=row.destination)).status_code == 204
    row.refresh_from_db()
    assert row.state == State.DELIVERED, "a late or contradicting report never moves a row back"


def test_undelivered_is_a_bounce_and_failed_a_failure(sent, twilio_post):
    bounced, failed = sent
    twilio_post(status_path(bounced), form("sms_undelivered", sid=bounced.provider_id, to=bounced.destination))
    twilio_post(status_path(failed), form("sms_failed", sid=failed.provider_id, to=failed.destination))
    twilio_post(status_path(bounced), form("sms_delivered", sid=bounced.provider_id, to=bounced.destination))
    bounced.refresh_from_db()
    failed.refresh_from_db()
    assert (bounced.state, bounced.error) == (State.BOUNCED, "Twilio: undelivered (error 30003)")
    assert (failed.state, failed.error) == (State.FAILED, "Twilio: failed (error 30008)")


def test_forged_or_unsigned_callbacks_are_refused(sent, client, twilio_post, settings):
    row, other = sent
    data = form("sms_delivered", sid=row.provider_id, to=row.destination)
    assert twilio_post(status_path(row), data, signature="forged").status_code == 403
    assert client.post(status_path(row), data).status_code == 403
    # A genuine signature for another row's URL does not carry over: the row id is signed.
    signed_for_other = twilio_post(status_path(other), data).wsgi_request.headers["X-Twilio-Signature"]
    assert twilio_post(status_path(row), data, signature=signed_for_other).status_code == 403
    assert client.get(status_path(row)).status_code == 405
    settings.TWILIO_AUTH_TOKEN = ""
    assert twilio_post(status_path(row), data, signature="").status_code == 403
    row.refresh_from_db()
    assert row.state == State.SENT


def test_a_callback_ahead_of_the_workers_write_stands(planned, twilio_post):
    planned()
    row = outbox.claim("twilio_sms", 1)[0]  # a worker holds the row; Twilio took it...
    twilio_post(status_path(row), form("sms_delivered", sid="SM42", to=row.destination))  # ...and called back first
    outbox.record([(row, "SM42")])  # then the worker writes the outcome
    row.refresh_from_db()
    assert (row.state, row.provider_id, row.claim) == (State.DELIVERED, "SM42", None)
    assert row.sent_at is not None


def test_a_row_twilio_reported_is_not_sent_again_after_its_worker_died(planned, fake_twilio, twilio_post, settings):
    planned()
    held = outbox.claim("twilio_sms", 10)  # the worker sends both, then dies before writing what Twilio said
    settings.VIGIL_COMMS_SENDING_LEASE = 0
    assert outbox.requeue_stalled() == 2
    row = held[0]
    twilio_post(status_path(row), form("sms_sent", sid="SM7", to=row.destination))
    row.refresh_from_db()
    assert (row.state, row.provider_id) == (State.SENT, "SM7")
    outbox.send_due("twilio_sms")
    assert fake_twilio.sent_to() == [held[1].destination], "only the row Twilio never reported goes again"


def test_reports_for_unknown_rows_or_another_number_are_ignored_with_a_log_line(sent, twilio_post, caplog):
    row = sent[0]
    with caplog.at_level(logging.INFO, logger="comms.delivery"):
        unknown = twilio_post("/comms/hooks/twilio/status/999999/", form("sms_delivered", sid="SM1", to=PHONES[0]))
        elsewhere = twilio_post(status_path(row), form("sms_delivered", sid="SM1", to="+14155550000"))
    assert (unknown.status_code, elsewhere.status_code) == (204, 204)
    assert "notification 999999" in caplog.text and f"notification {row.pk}" in caplog.text
    row.refresh_from_db()
    assert row.state == State.SENT


def test_a_call_is_delivered_when_answered_and_failed_when_not(planned, fake_twilio, twilio_post, settings):
    answered, unanswered = planned("voice")
    outbox.send_due("twilio_voice")
    assert {r.form["StatusCallback"] for r in fake_twilio.requests} == {
        f"{settings.VIGIL_BASE_URL}{status_path(answered)}",
        f"{settings.VIGIL_BASE_URL}{status_path(unanswered)}",
    }
    twilio_post(status_path(answered), form("call_completed", sid="CA1", to=answered.destination))
    twilio_post(status_path(unanswered), form("call_no_answer", sid="CA2", to=unanswered.destination))
    answered.refresh_from_db()
    unanswered.refresh_from_db()
    assert answered.state == State.DELIVERED
    assert (unanswered.state, unanswered.error) == (State.FAILED, "Twilio: no-answer")


def test_a_page_reported_delivered_before_the_worker_wrote_it_is_shown_sent(
    responder, incident, fake_twilio, twilio_post, django_capture_on_commit_callbacks
):
    Contact.objects.create(user=responder, phone=PHONES[0])
    NotificationRule.objects.create(user=responder, medium="sms", delay_minutes=0)
    with django_capture_on_commit_callbacks(execute=True):
        page = paging.page(responder, incident)
    row = outbox.claim("twilio_sms", 1)[0]
    twilio_post(status_path(row), form("sms_delivered", sid="SM5", to=row.destination))
    page.refresh_from_db()
    assert page.status == Page.Status.SENT
