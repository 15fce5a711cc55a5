"""The incident forms (issue #15, item 10): post/redirect/get after every post, refused or done; a refused
post's errors beside their fields at the incident's own URL, with what was typed; the inputs carry the
server's limits, and a value over them is refused with a message, never cut or crashed on."""

import re

import pytest

from incidents import services
from incidents.models import Incident, Status
from vigil.audit import Actor


@pytest.fixture
def incident(responder):
    incident, _ = services.do_declare(Actor(user=responder), title="Checkout down", severity="sev2")
    return incident


def test_a_refused_update_goes_back_to_the_incident_page_with_the_error_beside_its_field(web_clients, incident):
    client = web_clients["responder"]
    response = client.post(f"/incidents/{incident.pk}/updates/", {"status": "monitoring", "message": "   "})
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/#update"
    page = client.get(response["Location"]).content.decode()
    composer = re.search(r'<details class="panel composer" id="update" open>.*?</details>', page, re.S).group(0)
    field = r'<div class="form-field"><label for="id_message">Message</label>.*?</div>'
    message = re.search(field, composer, re.S).group(0)
    assert "This field is required." in message  # beside the message, in the opened section
    assert '<option value="monitoring" selected>' in composer  # what was chosen is kept
    assert "This field is required." not in client.get(incident.get_absolute_url()).content.decode()  # said once
    assert incident.updates.count() == 0


def test_a_move_the_incident_refuses_keeps_the_choice_and_says_why(web_clients, incident):
    client = web_clients["responder"]
    services.do_change_status(Actor(user=incident.created_by), incident, Status.MONITORING)
    response = client.post(f"/incidents/{incident.pk}/status/", {"status": "triggered"}, follow=True)
    assert response.redirect_chain == [(f"/incidents/{incident.pk}/#manage-state", 302)]
    page = response.content.decode()
    assert '<details id="manage-state" open>' in page
    assert "An incident cannot move from monitoring to triggered." in page
    assert Incident.objects.get(pk=incident.pk).status == Status.MONITORING


def test_every_incident_form_redirects_when_done(web_clients, incident, viewer):
    client = web_clients["responder"]
    posts = {
        "notes": {"message": "Looking at the load balancer."},
        "severity": {"severity": "sev1"},
        "roles": {"role": "scribe", "user": viewer.pk},
        "war-room": {"bridge_url": "https://meet.example/x", "chat_url": ""},
        "components": {},
        "updates": {"status": "identified", "message": "Found it."},
        "status": {"status": "monitoring"},
        "resolve": {},
    }
    for action, data in posts.items():
        response = client.post(f"/incidents/{incident.pk}/{action}/", data)
        assert (response.status_code, response["Location"]) == (302, incident.get_absolute_url()), action
    assert Incident.objects.get(pk=incident.pk).status == Status.RESOLVED


def test_a_link_longer_than_the_server_keeps_is_refused_with_a_message(web_clients, incident):
    long_url = "https://meet.example/" + "a" * 200
    response = web_clients["responder"].post(
        f"/incidents/{incident.pk}/war-room/", {"bridge_url": long_url, "chat_url": ""}, follow=True
    )
    page = response.content.decode()
    assert "Ensure this value has at most 200 characters (it has 221)." in page
    assert '<details id="manage-war-room" open>' in page
    assert Incident.objects.get(pk=incident.pk).bridge_url == incident.bridge_url  # nothing lost


def test_the_inputs_carry_the_servers_limits(web_clients, incident):
    client = web_clients["responder"]
    declare = client.get("/incidents/declare/").content.decode()
    assert re.search(r'<input type="text" name="title" [^>]*maxlength="200"', declare)
    assert re.search(r'<textarea name="summary" [^>]*maxlength="10000"', declare)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert re.search(r'<textarea name="message" [^>]*maxlength="10000"[^>]*id="id_message"', page)
    assert re.search(r'<textarea name="message" [^>]*maxlength="10000"[^>]*id="note_message"', page)
    assert re.search(r'<input type="url" name="bridge_url" [^>]*maxlength="200"', page)
    too_long = client.post("/incidents/declare/", {"title": "x" * 201, "severity": "sev3"})
    assert "Ensure this value has at most 200 characters (it has 201)." in too_long.content.decode()
    assert Incident.objects.count() == 1


def test_no_two_forms_share_an_element_id(web_clients, incident):
    page = web_clients["responder"].get(incident.get_absolute_url()).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
