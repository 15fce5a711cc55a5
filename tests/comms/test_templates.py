"""Message templates: the sandbox, the defaults, and stored templates reaching what is sent."""

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from comms import messages, outbox, templating
from comms.models import Contact, Event, Fanout, MessageTemplate, Notification, Part, Stakeholder
from comms.tasks import fan_out
from incidents import paging
from incidents.models import PublicStatus
from incidents.services import do_post_update


def store(event: str, part: str, body: str) -> MessageTemplate:
    return MessageTemplate.objects.create(event=event, part=part, body=body)


def post(actor, incident, status=PublicStatus.INVESTIGATING, message="Errors on the API."):
    return do_post_update(actor, incident, status, message)


@pytest.fixture
def fan(api_component, monkeypatch):
    """fan(update): plan the update's rows for Ada (email and SMS) with comms.tasks.fan_out, sending nothing."""
    monkeypatch.setattr("comms.queueing.queue_sends", lambda kinds: None)
    ada = Stakeholder.objects.create(
        name="Ada Lovelace", email="ada@example.com", phone="+14155552671", channels=["email", "sms"]
    )
    ada.components.add(api_component)

    def plan(update):
        Fanout.objects.create(update=update)
        fan_out.run(update.pk)
        return Notification.objects.filter(update=update)

    return plan


# --- The sandbox ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{% debug %}", "Invalid block tag"),
        ("{% load static %}", "Invalid block tag"),
        ("{% include 'base.html' %}", "Invalid block tag"),
        ("{% extends 'base.html' %}", "Invalid block tag"),
        ("{% url 'status_page' %}", "Invalid block tag"),
        ("{% for c in title %}{{ c }}{% endfor %}", "Invalid block tag"),
        ("{{ title|center:'1000000000' }}", "Invalid filter"),
        ("{{ title.__class__ }}", "may not begin with underscores"),
        ("{{ title.upper }}", "Unknown variable: title.upper"),
        ("{{ incident.commander.email }}", "Unknown variable: incident.commander.email"),
        ("{{ ack_url }}", "Unknown variable: ack_url"),
        ("{% if title %}", "Unclosed tag"),
        ("{% if 0 %}nothing{% endif %}", "renders to nothing"),
        ("x" * (templating.MAX_TEMPLATE_LENGTH + 1), "under 4000 characters"),
    ],
)
def test_a_template_that_reaches_outside_its_context_is_refused(db, source, reason):
    with pytest.raises(ValueError, match=reason):
        messages.check(Event.UPDATE, Part.SMS, source)


def test_a_template_renders_the_documented_variables_as_plain_text(db):
    text = messages.check(
        Event.UPDATE,
        Part.SMS,
        "{{ severity }} {{ title|upper }} <{{ status }}> & {{ components|default:'none' }} #{{ incident_id }}",
    )
    assert text == "SEV1 ELEVATED ERROR RATES ON THE API <Identified> & API, Dashboard #1234", "nothing is escaped"


def test_only_an_events_own_variables_are_known(db):
    assert "ack_code" in templating.variables_of(Event.PAGE)
    assert "ack_code" not in templating.variables_of(Event.UPDATE)
    assert messages.check(Event.PAGE, Part.SMS, "Reply ACK {{ ack_code }}") == "Reply ACK 123456"
    assert "2" in messages.check(Event.MAINTENANCE, Part.SMS, "{{ starts_at }}")
    with pytest.raises(ValueError, match="Unknown variable: severity"):
        messages.check(Event.MAINTENANCE, Part.SMS, "{{ severity }}")


def test_values_in_the_context_are_not_evaluated_as_templates(db):
    context = {**messages.sample_context(Event.UPDATE), "message": "{{ status_url }} {% debug %}"}
    assert templating.render("{{ message }}", context) == "{{ status_url }} {% debug %}"


# --- Defaults ------------------------------------------------------------------------


def test_without_stored_templates_the_texts_are_what_they_always_were(actor, incident, api_component):
    update = post(actor, incident, PublicStatus.IDENTIFIED, "Rolling back.")
    texts = messages.update_texts(update)
    status_url = messages.status_page_url()
    assert texts.subject == "[Identified] API errors"
    assert texts.bodies["sms"] == f"API errors - Identified: Rolling back. {status_url}"
    assert texts.bodies["email"] == (
        f"API errors\n\nStatus: Identified\n\nRolling back.\n\nAffected: API\n\nFollow along: {status_url}"
    )
    assert texts.bodies["voice"] == "Incident update. API errors. Status: Identified. Rolling back."
    assert texts.bodies["slack"] == f"*API errors* - Identified\nRolling back.\n<{status_url}|Status page>"
    assert texts.bodies["mastodon"] == f"API errors - Identified: Rolling back. {status_url}"
    payload = json.loads(texts.bodies["webhook"])
    assert payload["event"] == "incident.update" and payload["update"]["message"] == "Rolling back."
    assert payload["text"] == "API errors - Identified: Rolling back."


def test_every_default_passes_its_own_check(db):
    for (event, part), source in templating.DEFAULTS.items():
        assert messages.check(event, part, source), (event, part)
    assert set(templating.DEFAULTS) == {(e, p) for e, parts in templating.EVENT_PARTS.items() for p in parts}


def test_the_first_update_is_opened_a_resolving_one_resolved(actor, incident):
    first = post(actor, incident)
    second = post(actor, incident, PublicStatus.IDENTIFIED, "Found it.")
    last = post(actor, incident, PublicStatus.RESOLVED, "Fixed.")
    assert [messages.update_event(u) for u in (first, second, last)] == [Event.OPENED, Event.UPDATE, Event.RESOLVED]


# --- Stored templates ----------------------------------------------------------------


def test_a_stored_template_is_used_and_the_others_keep_their_default(actor, incident, fan):
    store(Event.OPENED, Part.SMS, "[{{ severity }}] {{ title }}: {{ message }}")
    rows = fan(post(actor, incident))
    assert rows.get(medium="sms").body == "[SEV3] API errors: Errors on the API."
    email = rows.get(medium="email")
    assert email.subject == "[Investigating] API errors", "the subject was not customised"
    second = fan(post(actor, incident, PublicStatus.IDENTIFIED, "Found it."))
    assert second.get(medium="sms").body.startswith("API errors - Identified: Found it."), "update keeps its default"


def test_the_resolved_template_is_used_for_a_resolving_update(actor, incident, fan):
    post(actor, incident)
    store(Event.RESOLVED, Part.SUBJECT, "All clear:\n{{ title }}")
    rows = fan(post(actor, incident, PublicStatus.RESOLVED, "Fixed."))
    assert rows.get(medium="email").subject == "All clear: API errors", "a subject is one line"


def test_recipient_name_is_filled_in_per_recipient(actor, incident, fan, api_component):
    bob = Stakeholder.objects.create(name="Bob", email="bob@example.com")
    bob.components.add(api_component)
    store(Event.OPENED, Part.EMAIL, "Hello {{ recipient_name }},\n\n{{ message }}")
    store(Event.OPENED, Part.SUBJECT, "{{ recipient_name }}: {{ title }}")
    rows = fan(post(actor, incident))
    emails = dict(rows.filter(medium="email").values_list("destination", "body"))
    assert emails == {
        "ada@example.com": "Hello Ada Lovelace,\n\nErrors on the API.",
        "bob@example.com": "Hello Bob,\n\nErrors on the API.",
    }
    assert rows.get(destination="bob@example.com").subject == "Bob: API errors"
    assert rows.get(medium="sms").body.startswith("API errors - Investigating"), "the SMS names nobody"


def test_a_stored_template_that_fails_now_falls_back_to_the_default(actor, incident, fan, caplog):
    store(Event.OPENED, Part.SMS, "{% if %}broken")  # written around the form: a fan-out must still go out
    rows = fan(post(actor, incident))
    assert rows.get(medium="sms").body.startswith("API errors - Investigating: Errors on the API.")
    assert "The sms template of opened failed" in caplog.text


def test_a_page_uses_the_stored_page_templates(incident, responder, django_capture_on_commit_callbacks):
    Contact.objects.create(user=responder, phone="+14155552671")
    responder.first_name, responder.last_name = "Rita", "Responder"
    responder.save()
    store(Event.PAGE, Part.SUBJECT, "{{ recipient_name }}: {{ severity }} #{{ incident_id }} {{ title }}")
    store(Event.PAGE, Part.VOICE, "Page for {{ recipient_name }}. {{ title }}.")
    with django_capture_on_commit_callbacks(execute=True):
        page = paging.page(responder, incident)
    rows = Notification.objects.filter(page=page)
    assert rows.get(medium="email").subject == f"Rita Responder: SEV3 #{incident.pk} API errors"
    texts = messages.page_texts(page, ack_code="654321")
    assert texts.bodies["voice"] == "Page for Rita Responder. API errors."
    assert texts.bodies["sms"].endswith("Reply ACK 654321 to acknowledge.")
    assert paging.ACK_LINK in texts.bodies["sms"]  # the link itself is put in as the page is sent


def test_maintenance_texts_announce_the_window(db):
    starts = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    maintenance = SimpleNamespace(  # what comms.models.ScheduledMaintenance carries
        title="Database upgrade", message="The API may be slow.", starts_at=starts, ends_at=starts.replace(hour=23)
    )
    store(Event.MAINTENANCE, Part.SMS, "{{ title }} on {{ components }}: {{ starts_at }}-{{ ends_at }}")
    texts = messages.maintenance_texts(maintenance, components=["API"])
    assert texts.bodies["sms"] == "Database upgrade on API: 2026-12-01 22:00 UTC-2026-12-01 23:00 UTC"
    assert texts.subject == "[Scheduled maintenance] Database upgrade"
    assert "The API may be slow." in texts.bodies["email"]
    payload = json.loads(texts.bodies["webhook"])
    assert payload["event"] == "maintenance.scheduled" and payload["maintenance"]["components"] == ["API"]
    assert payload["text"].startswith("Scheduled maintenance: Database upgrade, 2026-12-01 22:00 UTC to")


def test_planning_without_the_task_uses_stored_templates_too(actor, incident, api_component):
    Stakeholder.objects.create(name="Ada", email="ada@example.com").components.add(api_component)
    store(Event.OPENED, Part.EMAIL, "{{ title }}: {{ message }}")
    update = post(actor, incident)
    Fanout.objects.create(update=update)
    outbox.plan_update(update.pk)
    assert Notification.objects.get(update=update).body == "API errors: Errors on the API."
