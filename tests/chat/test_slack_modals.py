"""The modals of `/vigil` and the incident card (issue #18): declare, public update, status and page.
Opened with the request's trigger_id; a submission is checked while Slack waits and then acts."""

import json

import pytest

from chat.models import IncidentChannel
from comms.models import Stakeholder
from incidents import services
from incidents.models import Component, Incident, IncidentUpdate, Page, SeverityDefinition, Status
from vigil.audit import SYSTEM
from vigil.models import AuditEntry

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def rita(slack, responder):
    slack.add_user("U100", responder.email)
    return responder


def text(value):
    return {"value": {"type": "plain_text_input", "value": value}}


def option(value):
    return {"value": {"type": "static_select", "selected_option": {"value": value}}}


def opened_view(slack) -> dict:
    return slack.wait_for("views.open")[-1].json_arg("view")


def test_declare_opens_a_modal_with_each_severity_meaning(slack, slack_sender, rita):
    SeverityDefinition.objects.update_or_create(
        level="sev1", defaults={"name": "Major outage", "description": "Customers cannot check out."}
    )
    Component.objects.create(name="Checkout API")
    assert slack_sender.command("declare").status_code == 200
    call = slack.wait_for("views.open")[0]
    assert call.args["trigger_id"] == "trigger.1"
    view = call.json_arg("view")
    assert view["callback_id"] == "declare"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    sev1 = blocks["severity"]["element"]["options"][0]
    assert sev1["text"]["text"] == "SEV1 — Major outage"
    assert sev1["description"]["text"] == "Customers cannot check out."
    assert [o["text"]["text"] for o in blocks["components"]["element"]["options"]] == ["Checkout API"]
    assert blocks["title"]["element"]["max_length"] == 200


def test_submitting_declare_creates_the_incident_as_the_declarer_via_slack(slack, slack_sender, rita):
    api = Component.objects.create(name="Checkout API")
    values = {
        "title": text("Checkout errors"),
        "severity": option("sev2"),
        "components": {"value": {"type": "multi_static_select", "selected_options": [{"value": str(api.pk)}]}},
        "summary": text("500s on /pay"),
    }
    answer = slack_sender.submit("declare", values, private_metadata=json.dumps({"channel": "C999"}))
    assert answer.json() == {"response_action": "clear"}
    found = Incident.objects.get(title="Checkout errors")
    assert found.created_by == rita and found.severity == "sev2" and list(found.components.all()) == [api]
    assert AuditEntry.objects.get(action="incident.declare").via == "slack"
    told = slack.wait_for("chat.postMessage")[-1]
    assert told.args["channel"] == "U100" and f"/incidents/{found.pk}/" in told.args["text"]


def test_an_empty_title_is_refused_beside_the_field_and_nothing_is_created(slack, slack_sender, rita):
    answer = slack_sender.submit("declare", {"title": text(""), "severity": option("sev3")})
    assert answer.json() == {"response_action": "errors", "errors": {"title": "An incident needs a title."}}
    assert not Incident.objects.exists()


def test_a_viewer_cannot_declare_and_gets_no_modal(slack, slack_sender, viewer):
    slack.add_user("U300", viewer.email)
    answer = slack_sender.command("declare", user="U300")
    assert answer.json()["response_type"] == "ephemeral" and "cannot do that" in answer.json()["text"]
    assert slack.calls_to("views.open") == []


def test_an_expired_trigger_asks_the_user_to_try_again(slack, slack_sender, rita):
    slack.expire_trigger("trigger.1")
    answer = slack_sender.command("declare")
    assert "try again" in answer.json()["text"]
    assert slack_sender.command("declare").status_code == 200  # the next one works
    assert opened_view(slack)["callback_id"] == "declare"


def test_the_update_modal_previews_who_will_be_notified(slack, slack_sender, rita):
    api = Component.objects.create(name="Checkout API")
    found, _ = services.do_declare(SYSTEM, title="Checkout errors", paging=False, components=[api])
    for n in range(2):
        Stakeholder.objects.create(name=f"S{n}", email=f"s{n}@example.com", channels=["email"]).components.add(api)
    IncidentChannel.objects.create(incident=found, channel_id="CUPD1", name="inc")
    slack_sender.command("update", channel="CUPD1")
    view = opened_view(slack)
    assert view["callback_id"] == "update"
    preview = next(b for b in view["blocks"] if b.get("block_id") == "preview")["elements"][0]["text"]
    assert "Will notify: Notify 2 stakeholders: 2 emails." in preview


def test_submitting_the_update_posts_it_and_says_so_in_the_channel(slack, slack_sender, rita):
    found, _ = services.do_declare(SYSTEM, title="Checkout errors", paging=False)
    IncidentChannel.objects.create(incident=found, channel_id="CUPD2", name="inc")
    meta = json.dumps({"channel": "CUPD2", "incident": found.pk})
    answer = slack_sender.submit("update", {"message": text("")}, private_metadata=meta)
    assert answer.json()["errors"] == {"message": "An update needs a message."}
    values = {"status": option("identified"), "message": text("We found the bad deploy.")}
    assert slack_sender.submit("update", values, private_metadata=meta).json() == {"response_action": "clear"}
    update = IncidentUpdate.objects.get(incident=found)
    assert update.message == "We found the bad deploy." and update.author == rita
    assert Incident.objects.get(pk=found.pk).status == Status.IDENTIFIED
    told = slack.wait_for("chat.postMessage")[-1]
    assert told.args["channel"] == "CUPD2" and "<@U100> posted a public update" in told.args["text"]


def test_the_status_button_opens_a_modal_whose_choice_sets_the_status(slack, slack_sender, rita):
    found, _ = services.do_declare(SYSTEM, title="Checkout errors", paging=False)
    slack_sender.button(f"status:{found.pk}", str(found.pk))
    view = opened_view(slack)
    assert view["callback_id"] == "status"
    slack_sender.submit("status", {"status": option("monitoring")}, private_metadata=view["private_metadata"])
    assert Incident.objects.get(pk=found.pk).status == Status.MONITORING


def test_the_page_button_opens_a_modal_that_pages_the_chosen_slack_user(slack, slack_sender, rita, admin_user):
    slack.add_user("U200", admin_user.email)
    found, _ = services.do_declare(SYSTEM, title="Checkout errors", paging=False)
    slack_sender.button(f"page:{found.pk}", str(found.pk))
    view = opened_view(slack)
    assert view["callback_id"] == "page"
    values = {"user": {"value": {"type": "users_select", "selected_user": "U200"}}}
    assert slack_sender.submit("page", values, private_metadata=view["private_metadata"]).status_code == 200
    assert Page.objects.get(incident=found).user == admin_user


def test_a_button_with_an_expired_trigger_is_answered_at_its_response_url(slack, slack_sender, rita):
    found, _ = services.do_declare(SYSTEM, title="Checkout errors", paging=False)
    slack.expire_trigger("trigger.1")
    slack_sender.button(f"update:{found.pk}", str(found.pk))
    reply = slack.wait_for_responses(1)[-1].json
    assert "try again" in reply["text"] and reply["replace_original"] is False
