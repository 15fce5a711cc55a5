"""A public update reaches its audience through the outbox, with the real clients against fake providers."""

from django.utils import timezone

from comms import outbox
from comms.models import Endpoint, Fanout, IncidentAudience, Notification, Stakeholder, StakeholderGroup, State
from incidents.models import Component, PublicStatus
from incidents.services import do_post_update


def post(actor, incident, message="We are looking into errors on the API."):
    return do_post_update(actor, incident, PublicStatus.INVESTIGATING, message)


def test_posting_an_update_reaches_each_recipient_once_by_their_channels(
    actor, incident, api_component, fake_twilio, fake_sendgrid, eager_celery, django_capture_on_commit_callbacks
):
    ada = Stakeholder.objects.create(
        name="Ada", email="ada@example.com", phone="+14155552671", channels=["email", "sms"]
    )
    ada.components.add(api_component)
    bob = Stakeholder.objects.create(
        name="Bob", email="bob@example.com", phone="+14155552672", channels=["email", "sms"], opted_out=["sms"]
    )
    bob.components.add(api_component)
    Stakeholder.objects.create(name="Not interested", email="nobody@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        update = post(actor, incident)

    rows = Notification.objects.filter(update=update)
    assert sorted(rows.values_list("destination", "channel", "state")) == [
        ("+14155552671", "twilio_sms", "sent"),
        ("ada@example.com", "sendgrid", "sent"),
        ("bob@example.com", "sendgrid", "sent"),
    ]
    assert sorted(fake_sendgrid.accepted_addresses()) == ["ada@example.com", "bob@example.com"]
    assert len(fake_sendgrid.requests) == 1, "both emails share one request"
    assert fake_twilio.sent_to() == ["+14155552671"]
    sms = fake_twilio.requests[0]
    assert sms.path == "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json"
    assert "We are looking into errors on the API." in sms.form["Body"]
    assert sms.form["From"] == "+15005550006"
    assert rows.get(channel="twilio_sms").provider_id.startswith("SM")
    assert Fanout.objects.get(update=update).recipients == 3


def test_sendgrid_takes_a_thousand_recipients_a_request(actor, incident, api_component, fake_sendgrid):
    people = Stakeholder.objects.bulk_create(Stakeholder(name=f"P{i}", email=f"p{i}@example.com") for i in range(2500))
    api_component.interested_stakeholders.add(*people)
    update = post(actor, incident)
    Fanout.objects.create(update=update)
    assert outbox.plan_update(update.pk) == ["sendgrid"]
    outbox.send_due("sendgrid")
    assert [len(r.json["personalizations"]) for r in fake_sendgrid.requests] == [1000, 1000, 500]
    assert sorted(fake_sendgrid.accepted_addresses()) == sorted(p.email for p in people)
    assert Notification.objects.filter(update=update, state=State.SENT).count() == 2500
    custom = fake_sendgrid.requests[0].json["personalizations"][0]["custom_args"]["vigil_notification"]
    assert Notification.objects.filter(pk=int(custom), update=update).exists()


def test_planning_twice_writes_each_row_once(actor, incident, api_component):
    person = Stakeholder.objects.create(name="Ada", email="ada@example.com")
    person.components.add(api_component)
    update = post(actor, incident)
    Fanout.objects.create(update=update)
    outbox.plan_update(update.pk)
    Fanout.objects.filter(update=update).update(planned_at=None)
    outbox.plan_update(update.pk)
    assert Notification.objects.filter(update=update).count() == 1


def test_an_audience_row_is_written_queued_and_due_with_the_defaults_of_a_row_made_one_by_one(
    actor, incident, api_component
):
    person = Stakeholder.objects.create(name="Ada", email="ada@example.com", phone="+14155552671", channels=["sms"])
    person.components.add(api_component)
    update = post(actor, incident)
    Fanout.objects.create(update=update)
    before = timezone.now()
    [kind] = outbox.plan_update(update.pk)
    row = Notification.objects.get(update=update)
    made = Notification(update=update, stakeholder=person, medium="sms", channel=kind, body=row.body)
    for field in ("state", "attempts", "claim", "claimed_at", "provider_id", "ack_code", "error", "note", "sent_at"):
        assert getattr(row, field) == getattr(made, field), field
    assert (row.stakeholder, row.destination, row.subject) == (person, "+14155552671", "")
    assert "We are looking into errors on the API." in row.body
    assert before <= row.next_attempt_at <= timezone.now() and before <= row.created_at <= row.updated_at
    assert outbox.claim(kind, 10) == [row], "due at once"


def test_the_sandbox_sends_until_provider_keys_are_set(actor, incident, api_component, settings):
    settings.SENDGRID_API_KEY = ""
    settings.TWILIO_ACCOUNT_SID = ""
    person = Stakeholder.objects.create(name="Ada", email="ada@example.com", phone="+14155552671", channels=["sms"])
    person.components.add(api_component)
    update = post(actor, incident)
    Fanout.objects.create(update=update)
    assert outbox.plan_update(update.pk) == ["sandbox"]
    outbox.send_due("sandbox")
    row = Notification.objects.get(update=update)
    assert (row.channel, row.state, row.destination) == ("sandbox", State.SENT, "+14155552671")


def test_the_audience_is_chosen_groups_and_interested_stakeholders(actor, incident, api_component, settings):
    settings.SENDGRID_API_KEY = ""
    other = Component.objects.create(name="Billing")
    enterprise = StakeholderGroup.objects.create(name="Enterprise")
    IncidentAudience.objects.create(incident=incident).groups.add(enterprise)
    member = Stakeholder.objects.create(name="Member", email="member@example.com")
    member.groups.add(enterprise)
    member_elsewhere = Stakeholder.objects.create(name="Billing only", email="billing@example.com")
    member_elsewhere.groups.add(enterprise)
    member_elsewhere.components.add(other)
    fan = Stakeholder.objects.create(name="API fan", email="fan@example.com")
    fan.components.add(api_component)
    Stakeholder.objects.create(name="Nobody", email="nobody@example.com")
    no_email = Stakeholder.objects.create(name="No address", phone="+14155552671")
    no_email.groups.add(enterprise)
    update = post(actor, incident)
    Fanout.objects.create(update=update)
    outbox.plan_update(update.pk)
    assert sorted(Notification.objects.values_list("destination", flat=True)) == [
        "fan@example.com",
        "member@example.com",
    ]


def test_endpoints_get_every_public_update(actor, incident, settings):
    Endpoint.objects.create(name="Hook", kind="webhook", url="https://hooks.example.com/vigil", secret="s3cret")
    Endpoint.objects.create(name="Off", kind="slack", url="https://hooks.slack.com/x", enabled=False)
    update = post(actor, incident, "x" * 600)
    Fanout.objects.create(update=update)
    assert outbox.plan_update(update.pk) == ["webhook"]
    row = Notification.objects.get(update=update)
    assert row.endpoint.name == "Hook"
    assert '"event": "incident.update"' in row.body
    assert "s3cret" not in row.body


def test_a_claimed_row_is_not_claimed_again_and_a_sent_row_never(actor, incident, api_component, settings):
    settings.SENDGRID_API_KEY = ""
    people = Stakeholder.objects.bulk_create(Stakeholder(name=f"P{i}", email=f"p{i}@example.com") for i in range(5))
    api_component.interested_stakeholders.add(*people)
    update = post(actor, incident)
    Fanout.objects.create(update=update)
    outbox.plan_update(update.pk)
    first = outbox.claim("sandbox", 3)
    second = outbox.claim("sandbox", 3)
    assert len(first) == 3 and len(second) == 2
    assert not {r.pk for r in first} & {r.pk for r in second}
    assert outbox.claim("sandbox", 3) == []
    assert all(r.state == State.SENDING and r.attempts == 1 for r in first + second)
    assert Notification.objects.filter(state=State.SENDING).count() == 5
    assert timezone.now() >= first[0].claimed_at
