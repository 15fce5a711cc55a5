"""The Templates pages: list, edit with a preview on the sample incident, save, reset; who may do what."""

import pytest

from comms import templating
from comms.models import Event, MessageTemplate, Part
from tests.conftest import assert_web_outcome
from vigil.models import AuditEntry

EDIT = "/comms/templates/update/"


def form_data(event=Event.UPDATE, **parts) -> dict:
    """Every part of EVENT as its default, except PARTS."""
    data = {part: templating.DEFAULTS[(event, part)] for part in templating.EVENT_PARTS[event]}
    return {**data, **parts}


def test_the_edit_page_previews_every_channel_on_the_sample_incident(web_clients):
    response = web_clients["admin"].get(EDIT)
    page = response.content.decode()
    assert response.status_code == 200
    for part in templating.PUBLIC_PARTS:
        assert f'data-testid="preview-{part}"' in page
    assert "[Identified] Elevated error rates on the API" in page
    assert 'data-testid="sms-length"' in page and "GSM-7" in page and "1 segment<" in page
    assert "{{ status_url }}" in page, "the variables are documented"
    assert "&quot;text&quot;" in page, "the webhook's JSON is shown as sent"


def test_preview_renders_the_submitted_text_without_saving_it(web_clients):
    sms = "{{ title }} 😀 " + "x" * 60
    response = web_clients["admin"].post(EDIT, {**form_data(sms=sms), "preview": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Elevated error rates on the API 😀 " + "x" * 60 in page
    assert "UCS-2" in page and "2 segments" in page, "an emoji makes it UCS-2: 93 units in two parts"
    assert not MessageTemplate.objects.exists()


def test_saving_stores_only_the_parts_that_differ_from_the_default(web_clients, admin_user):
    response = web_clients["admin"].post(EDIT, {**form_data(sms="{{ title }}: {{ message }}"), "save": "1"})
    assert response.status_code == 302
    stored = MessageTemplate.objects.get()
    assert (stored.event, stored.part, stored.body, stored.updated_by) == (
        Event.UPDATE,
        Part.SMS,
        "{{ title }}: {{ message }}",
        admin_user,
    )
    assert AuditEntry.objects.filter(action="comms.templates").exists()
    listing = web_clients["admin"].get("/comms/templates/").content.decode()
    assert "SMS: <strong>customised</strong>" in listing
    again = web_clients["admin"].get(EDIT)
    assert again.context["form"]["sms"].value() == "{{ title }}: {{ message }}"


def test_a_template_that_does_not_render_is_a_form_error_and_saves_nothing(web_clients):
    bad = {**form_data(sms="{{ title }", email="{% load static %}", voice="{{ ack_code }}"), "save": "1"}
    response = web_clients["admin"].post(EDIT, bad)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"email", "voice"}, "'{{ title }' is text, not an error"
    assert "Invalid block tag" in errors["email"][0]
    assert "Unknown variable: ack_code" in errors["voice"][0]
    assert not MessageTemplate.objects.exists()


def test_a_blank_part_or_the_default_text_goes_back_to_the_default(web_clients):
    MessageTemplate.objects.create(event=Event.UPDATE, part=Part.SMS, body="{{ title }}")
    MessageTemplate.objects.create(event=Event.UPDATE, part=Part.VOICE, body="{{ title }}")
    web_clients["admin"].post(EDIT, {**form_data(sms="", voice="{{ title }}"), "save": "1"})
    assert list(MessageTemplate.objects.values_list("part", flat=True)) == ["voice"]
    web_clients["admin"].post(EDIT, {"reset": "1"})
    assert not MessageTemplate.objects.exists()


def test_the_page_event_has_only_the_parts_a_person_receives(web_clients):
    form = web_clients["admin"].get("/comms/templates/page/").context["form"]
    assert list(form.fields) == ["subject", "email", "sms", "voice"]
    assert web_clients["admin"].get("/comms/templates/nope/").status_code == 404


@pytest.mark.parametrize("role", ["admin", "responder", "viewer", "anonymous"])
def test_only_an_admin_edits_templates(web_clients, role):
    client = web_clients[role]
    assert_web_outcome(role, {"admin", "responder", "viewer"}, client.get("/comms/templates/"))
    assert_web_outcome(role, {"admin"}, client.get(EDIT))
    assert_web_outcome(role, {"admin"}, client.post(EDIT, {**form_data(), "preview": "1"}))
    saved = client.post(EDIT, {**form_data(sms="{{ title }}"), "save": "1"})
    assert_web_outcome(role, {"admin"}, saved)
    assert MessageTemplate.objects.exists() == (role == "admin")
    assert_web_outcome(role, {"admin"}, client.post(EDIT, {"reset": "1"}))
