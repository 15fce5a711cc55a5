"""A SEV1 pages someone (issue #15, item 6): default escalation policies per severity and per component,
preselected and previewed when declaring; an explicit "no paging" that is recorded; *Page the on-call*;
and "Paging stopped" said only when paging was running."""

import pytest

from incidents import escalation, services
from incidents.models import Component, Incident, IncidentEvent, Page, SeverityDefinition
from tests.conftest import assert_web_outcome, make_user
from vigil.audit import Actor
from vigil.models import AuditEntry
from vigil.roles import Role

from .factories import empty_policy, on_call_policy, severity_default


@pytest.fixture
def olive(roles):
    user = make_user("olive", Role.RESPONDER)
    user.first_name, user.last_name = "Olive", "Oncall"
    user.save()
    return user


@pytest.fixture
def actor(responder):
    return Actor(user=responder, via="web")


@pytest.fixture
def declare(actor, django_capture_on_commit_callbacks):
    """do_declare, with the first escalation step left for the test to run (escalation.run_due)."""

    def declare(**fields) -> Incident:
        with django_capture_on_commit_callbacks(execute=False):
            incident, _ = services.do_declare(actor, **{"title": "Checkout down", **fields})
        return incident

    return declare


def paged(incident) -> list[str]:
    return [p.user.username for p in Page.objects.filter(incident=incident).order_by("id")]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_sev1_declared_without_a_policy_pages_the_severitys_default(declare, olive):
    policy = on_call_policy(olive)
    severity_default("sev1", policy)
    incident = declare(severity="sev1")
    assert incident.escalation_policy == policy and incident.escalation_id is not None
    assert escalation.run_due() == 1
    assert paged(incident) == ["olive"]
    assert incident.events.filter(message="Paging Platform on-call (the default for SEV1)").exists()
    assert AuditEntry.objects.get(action="incident.declare").details["paging"] == "Platform on-call"


def test_a_components_default_wins_over_the_severitys(declare, olive, roles):
    severity_default("sev1", on_call_policy(olive))
    pat = make_user("pat", Role.RESPONDER)
    payments_policy = on_call_policy(pat, name="Payments on-call", schedule="Payments rota")
    api = Component.objects.create(name="API")
    payments = Component.objects.create(name="Payments", escalation_policy=payments_policy)
    incident = declare(severity="sev1", components=[api, payments])
    assert incident.escalation_policy == payments_policy
    escalation.run_due()
    assert paged(incident) == ["pat"]
    assert incident.events.filter(message="Paging Payments on-call (the default for Payments)").exists()


def test_a_chosen_policy_wins_over_every_default(declare, olive, roles):
    severity_default("sev1", empty_policy())
    chosen = on_call_policy(olive)
    assert declare(severity="sev1", escalation_policy=chosen).escalation_policy == chosen


def test_no_paging_is_a_choice_that_pages_nobody_and_is_recorded(declare, olive, actor):
    policy = on_call_policy(olive)
    severity_default("sev1", policy)
    incident = declare(severity="sev1", paging=False)
    assert incident.escalation_policy is None and incident.escalation_id is None
    assert escalation.run_due() == 0 and paged(incident) == []
    event = incident.events.get(kind=IncidentEvent.Kind.ESCALATED)
    assert event.message == "Declared without paging: rita-responder chose to page nobody"
    assert AuditEntry.objects.get(action="incident.declare").details["paging"] == "none"
    with pytest.raises(services.ActionError, match="not both"):
        services.do_declare(actor, title="Both", escalation_policy=policy, paging=False)


def test_the_declare_form_preselects_the_default_and_says_who_would_be_paged(web_clients, olive):
    severity_default("sev1", on_call_policy(olive))
    client = web_clients["responder"]
    form = client.get("/incidents/declare/").content.decode()
    assert '<option value="default" selected>' in form
    preview = client.post("/incidents/declare/preview/", {"severity": "sev1", "escalation_policy": "default"})
    html = preview.content.decode()
    assert "<strong>Olive Oncall</strong>, on call on Platform primary" in html
    assert "by <strong>Platform on-call</strong> (the default for SEV1)" in html and "msg info" in html
    nobody = client.post("/incidents/declare/preview/", {"severity": "sev3", "escalation_policy": "default"})
    assert 'class="msg error"' in nobody.content.decode() and "Nobody would be paged" in nobody.content.decode()
    refused = client.post("/incidents/declare/preview/", {"severity": "sev1", "escalation_policy": "none"})
    assert "Nobody will be paged</strong> (you chose not to page)" in refused.content.decode()


def test_declaring_in_the_form_pages_the_default_or_nobody_when_asked(web_clients, olive):
    policy = on_call_policy(olive)
    severity_default("sev1", policy)
    client = web_clients["responder"]
    client.post("/incidents/declare/", {"title": "Defaults", "severity": "sev1", "escalation_policy": "default"})
    assert Incident.objects.get(title="Defaults").escalation_policy == policy
    client.post("/incidents/declare/", {"title": "Quiet", "severity": "sev1", "escalation_policy": "none"})
    quiet = Incident.objects.get(title="Quiet")
    assert quiet.escalation_policy is None and quiet.events.filter(message__contains="chose to page nobody").exists()


def test_nobody_paged_is_said_in_red_and_page_the_oncall_pages_someone(web_clients, declare, olive):
    policy = on_call_policy(olive)  # nobody's default: the declared SEV1 pages nobody
    incident = declare(severity="sev1")
    client = web_clients["responder"]
    html = client.get(incident.get_absolute_url()).content.decode()
    assert 'class="msg error" role="alert" data-testid="nobody-paged"' in html
    assert "pages Olive Oncall (on call on Platform primary), by Platform on-call." in html
    response = client.post(f"/incidents/{incident.pk}/page/", follow=True)
    assert "Paging Platform on-call: level 1 is paged now." in messages_of(response)
    incident.refresh_from_db()
    assert incident.escalation_policy == policy
    escalation.run_due()
    assert paged(incident) == ["olive"]
    assert 'data-testid="nobody-paged"' not in client.get(incident.get_absolute_url()).content.decode()


def test_page_the_oncall_after_acknowledging_pages_for_help_once(web_clients, declare, actor, olive):
    on_call_policy(olive)
    incident = services.do_acknowledge(actor, declare(severity="sev2"))
    web_clients["responder"].post(f"/incidents/{incident.pk}/page/")
    assert paged(incident) == ["olive"]
    assert incident.events.filter(kind="paged", message="Paged olive (Platform on-call, level 1)").exists()
    assert escalation.run_due() == 0  # help, not an escalation: no level after it


def test_page_the_oncall_with_nobody_on_call_anywhere_says_why(web_clients, declare):
    empty_policy()
    incident = declare(severity="sev1")
    response = web_clients["responder"].post(f"/incidents/{incident.pk}/page/", follow=True)
    assert any(
        m.startswith("Nobody can be paged: no escalation policy has anyone on call now") for m in messages_of(response)
    )
    assert paged(incident) == []


def test_acknowledging_when_nothing_was_paging_never_says_paging_stopped(web_clients, declare):
    incident = declare(severity="sev1")  # no default policy: nothing pages
    response = web_clients["responder"].post(f"/incidents/{incident.pk}/acknowledge/", follow=True)
    assert "Acknowledged." in messages_of(response)
    assert not any("aging stopped" in m for m in messages_of(response))
    event = incident.events.get(kind=IncidentEvent.Kind.ACKNOWLEDGED)
    assert event.message == "Acknowledged by rita-responder" and event.data["stopped_paging"] is False


def test_acknowledging_while_paging_says_paging_stopped(web_clients, declare, olive):
    severity_default("sev1", on_call_policy(olive))
    incident = declare(severity="sev1")
    escalation.run_due()
    response = web_clients["responder"].post(f"/incidents/{incident.pk}/acknowledge/", follow=True)
    assert "Acknowledged. Paging stopped." in messages_of(response)
    assert incident.events.get(kind="acknowledged").message == "Acknowledged by rita-responder; paging stopped"


def test_the_defaults_are_edited_in_the_api_and_the_admin(api_clients, web_clients, olive):
    policy = on_call_policy(olive)
    admin = api_clients["admin"]
    body = {"level": "sev1", "name": "Critical", "description": "All hands.", "escalation_policy": policy.pk}
    assert admin.post("/api/v1/severities/", body, format="json").json()["escalation_policy"] == policy.pk
    component = admin.post("/api/v1/components/", {"name": "Payments", "escalation_policy": policy.pk}, format="json")
    assert component.json()["escalation_policy"] == policy.pk
    responder = api_clients["responder"]
    paging = responder.post("/api/v1/incidents/", {"title": "From the API", "severity": "sev1"}, format="json")
    assert paging.json()["escalation_policy"] == policy.pk
    quiet = responder.post("/api/v1/incidents/", {"title": "Quiet", "severity": "sev1", "paging": False}, format="json")
    assert quiet.status_code == 201 and quiet.json()["escalation_policy"] is None
    both = {"title": "Both", "paging": False, "escalation_policy": policy.pk}
    assert responder.post("/api/v1/incidents/", both, format="json").status_code == 400
    definition = SeverityDefinition.objects.get(level="sev1")
    page = web_clients["admin"].get(f"/admin/incidents/severitydefinition/{definition.pk}/change/").content.decode()
    assert 'name="escalation_policy"' in page


@pytest.mark.parametrize("role", ["admin", "responder", "viewer", "anonymous"])
def test_page_the_oncall_and_the_declare_preview_ask_who_is_asking(web_clients, declare, olive, role):
    on_call_policy(olive)
    incident = declare(severity="sev1")
    allowed = {"admin", "responder"}
    assert_web_outcome(role, allowed, web_clients[role].post(f"/incidents/{incident.pk}/page/"))
    assert_web_outcome(role, allowed, web_clients[role].post("/incidents/declare/preview/", {"severity": "sev1"}))
    started = Incident.objects.get(pk=incident.pk).escalation_policy_id is not None
    assert started == (role in allowed)  # a refused post changes nothing


def test_the_demo_pages_its_on_call_for_a_sev1_and_a_sev2(db):
    from incidents import demo

    demo.seed()
    defaults = dict(SeverityDefinition.objects.values_list("level", "escalation_policy__name"))
    assert defaults == {"sev1": "Platform on-call", "sev2": "Platform on-call", "sev3": None, "sev4": None}
