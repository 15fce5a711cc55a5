import logging

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.db.models import Count, Max, OuterRef, Subquery
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from vigil import live, ownership
from vigil.access import permission_required
from vigil.audit import Actor, client_ip

from . import escalation, paging, paging_actions, providers, services, signals
from .forms import (
    ComponentsForm,
    DeclareForm,
    EscalationForm,
    MergeForm,
    NoteForm,
    RoleForm,
    SeverityForm,
    StatusForm,
    UpdateForm,
    WarRoomForm,
)
from .models import (
    Component,
    Incident,
    IncidentEvent,
    Page,
    Severity,
    SeverityDefinition,
    Status,
)

logger = logging.getLogger(__name__)


def _filtered_incidents(params):
    incidents = Incident.objects.by_urgency().select_related("commander").prefetch_related("components")
    status = params.get("status", "open")
    if status == "open":
        incidents = incidents.open()
    elif status in Status.values:
        incidents = incidents.filter(status=status)
    severity = params.get("severity", "")
    if severity in Severity.values:
        incidents = incidents.filter(severity=severity)
    return incidents, status, severity


def _incidents_version(request) -> tuple:
    return tuple(Incident.objects.aggregate(Max("updated_at"), Count("pk")).values())


@permission_required("incidents.view_incident")
@live.live(_incidents_version)
def incident_list(request):
    incidents, status, severity = _filtered_incidents(request.GET)
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "severity": severity,
        "statuses": Status.choices,
        "severities": Severity.choices,
        "now": timezone.now(),
        "refresh_seconds": live.poll_seconds(request.GET.get("refresh")),
    }
    # The list refreshes itself: the script asks for just the rows.
    template = "incidents/_rows.html" if request.GET.get("partial") else "incidents/list.html"
    return render(request, template, context)


def _access_incident(pk: int) -> Incident:
    return get_object_or_404(
        Incident.objects.select_related(
            "acknowledged_by", "created_by", "commander", "comms_lead", "scribe", "merged_into"
        ),
        pk=pk,
    )


# The incident page's forms by context name, each with the page section (a <details> id) that holds
# it, opened when the form has errors: a failed post is kept under its name for the next GET.
FORMS = {
    "note_form": (NoteForm, "timeline"),
    "update_form": (UpdateForm, "update"),
    "severity_form": (SeverityForm, "manage-state"),
    "status_form": (StatusForm, "manage-state"),
    "role_form": (RoleForm, "manage-roles"),
    "war_room_form": (WarRoomForm, "manage-war-room"),
    "merge_form": (MergeForm, "manage-state"),
    "escalation_form": (EscalationForm, "manage-paging"),
    "components_form": (ComponentsForm, "manage-components"),
}
FAILED_POST = "incidents.failed_post"


def _blank_forms(incident: Incident) -> dict:
    return {
        "note_form": NoteForm(),
        "update_form": UpdateForm(incident=incident),
        "severity_form": SeverityForm(initial={"severity": incident.severity}),
        "status_form": StatusForm(initial={"status": incident.status}),
        "role_form": RoleForm(),
        "war_room_form": WarRoomForm(initial={"bridge_url": incident.bridge_url, "chat_url": incident.chat_url}),
        "merge_form": MergeForm(),
        "escalation_form": EscalationForm(initial={"policy": incident.escalation_policy_id}),
        "components_form": ComponentsForm(incident=incident),
    }


def _bind(form_name: str, data, incident: Incident):
    form_class, _ = FORMS[form_name]
    extra = {"incident": incident} if form_class.takes_incident else {}
    return form_class(data, **extra)


def _keep_failed_post(request, incident: Incident, form_name: str, error: str = ""):
    """Post/redirect/get for a refused post too: what was typed and why it was refused wait in the
    session, and the browser is sent to the incident's own URL, where the next GET shows the form
    again with its errors beside its fields (once). A reload then repeats a GET, never the post."""
    data = {key: request.POST.getlist(key) for key in request.POST if key != "csrfmiddlewaretoken"}
    request.session[FAILED_POST] = {"incident": incident.pk, "form": form_name, "data": data, "error": error}
    return redirect(f"{incident.get_absolute_url()}#{FORMS[form_name][1]}")


def _failed_post(request, incident: Incident) -> dict:
    """The form a refused post left for this incident's page, bound and with its errors; {} when none."""
    kept = request.session.get(FAILED_POST)
    if not kept or kept.get("incident") != incident.pk or kept.get("form") not in FORMS:
        return {}
    del request.session[FAILED_POST]
    data = QueryDict(mutable=True)
    for key, values in kept["data"].items():
        data.setlist(key, values)
    form = _bind(kept["form"], data, incident)
    form.is_valid()
    if kept["error"]:
        form.add_error(None, kept["error"])
    return {kept["form"]: form, "open_section": FORMS[kept["form"]][1]}


def _header_context(incident: Incident) -> dict:
    """The state at the top of the page: paged people and whether they acknowledged, the next update due."""
    pages = list(incident.pages.select_related("user").order_by("created_at", "id"))
    latest = {}
    for page in pages:  # one line a person: their latest page
        latest[page.user_id] = page
    paged = list(latest.values())
    nobody = incident.is_open and not any(p.status != Page.Status.FAILED for p in paged)
    waiting = escalation.is_paging(incident) and not paged  # started; the worker pages in a moment
    audience = _update_audience(incident)
    return {
        "incident": incident,
        "paged": paged,
        "nobody_paged": nobody and not waiting,
        "paging_starts": waiting,
        "suggestion": escalation.suggested_plan(incident) if nobody and not waiting else None,
        "audience": audience,
        "notify": notify_sentence(audience),
        "now": timezone.now(),
    }


def _update_audience(incident: Incident, components=None, status: str = "", message: str = ""):
    """Who a public update would reach, from the apps that send it (signals.update_audience)."""
    total = signals.UpdateAudience()
    answers = signals.update_audience.send_robust(
        sender=Incident, incident=incident, components=components, status=status, message=message
    )
    for receiver, result in answers:
        if isinstance(result, Exception):
            logger.error("Update audience %r failed", receiver, exc_info=result)
        elif isinstance(result, signals.UpdateAudience):
            total = total.add(result)
    return total


def _detail_context(incident: Incident, **forms) -> dict:
    context = {
        **_header_context(incident),
        "events": incident.events.select_related("actor"),
        "affected": incident.affected.select_related("component"),
        "updates": incident.updates.all(),
        "alerts": incident.alerts.all()[:50],
        **_blank_forms(incident),
    }
    context["merge_form"].fields["into"].queryset = Incident.objects.open().exclude(pk=incident.pk)
    context.update(forms)
    return context


def _panels(request, incident: Incident) -> list[str]:
    """What other apps add to the incident page (signals.incident_page_panels)."""
    panels = []
    answers = signals.incident_page_panels.send_robust(sender=Incident, incident=incident, request=request)
    for receiver, result in answers:
        if isinstance(result, Exception):
            logger.error("Incident page panel %r failed", receiver, exc_info=result)
        elif result:
            panels.append(result)
    return panels


def _incident_version(request, pk: int):
    """What the header and timeline show moves with the incident's row, its timeline and its pages: one query."""
    events = IncidentEvent.objects.filter(incident=OuterRef("pk")).order_by().values("incident")
    pages = Page.objects.filter(incident=OuterRef("pk")).order_by().values("incident")
    return (
        Incident.objects.filter(pk=pk)
        .values_list(
            "updated_at",
            Subquery(events.annotate(m=Max("id")).values("m")),
            Subquery(pages.annotate(n=Count("id")).values("n")),
            Subquery(pages.filter(status=Page.Status.ACKNOWLEDGED).annotate(n=Count("id")).values("n")),
            Subquery(pages.filter(status=Page.Status.SENT).annotate(n=Count("id")).values("n")),
        )
        .first()
    )


PARTS = {"header": "incidents/_header.html", "timeline": "incidents/_timeline.html"}


@live.live(_incident_version)
def _incident_part(request, pk: int):
    """The header or the timeline alone, for the page's live polling (304 while nothing changed)."""
    incident = _access_incident(pk)
    part = request.GET["partial"]
    context = _header_context(incident) if part == "header" else {"incident": incident, "events": incident.events.all()}
    return render(request, PARTS[part], context)


@permission_required("incidents.view_incident")
def incident_detail(request, pk: int):
    """The incident: its state and primary actions first, then the update composer, the timeline, and
    what other apps add. The full page is never answered 304 (it may show a refused post's errors);
    its header and timeline keep themselves current through ?partial=header|timeline."""
    if request.GET.get("partial") in PARTS:
        return _incident_part(request, pk)
    incident = _access_incident(pk)
    context = {**_detail_context(incident, **_failed_post(request, incident)), "panels": _panels(request, incident)}
    return render(request, "incidents/detail.html", context)


@permission_required("incidents.view_incident")
@require_POST
def update_preview(request, pk: int):
    """The Update composer's Notify line and preview for what is typed so far. Changes nothing."""
    incident = _access_incident(pk)
    form = UpdateForm(request.POST, incident=incident)
    form.is_valid()
    data = form.cleaned_data
    audience = _update_audience(incident, form.component_ids(), data.get("status", ""), data.get("message", ""))
    context = {"audience": audience, "notify": notify_sentence(audience), "incident": incident}
    return render(request, "incidents/_notify.html", context)


@permission_required("incidents.add_incident")
def declare(request):
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident, _ = services.do_declare(Actor.from_request(request), **form.declare_kwargs())
        except services.ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Declared {incident}.")
            return redirect(incident)
    context = {"form": form, "definitions": SeverityDefinition.objects.all(), "plan": _declare_plan(form)}
    return render(request, "incidents/declare.html", context)


def _declare_plan(form: DeclareForm) -> escalation.PagingPlan:
    """Who declaring with the form's choices would page now (valid or not: the preview follows the typing)."""
    data = form.data if form.is_bound else {}
    severity = data.get("severity") or form.fields["severity"].initial
    choice = data.get("escalation_policy", DeclareForm.DEFAULT)
    ids = [int(pk) for pk in (data.getlist("components") if hasattr(data, "getlist") else []) if str(pk).isdigit()]
    return escalation.declare_plan(
        severity, ids, chosen=form.policies.get(choice), no_paging=choice == DeclareForm.NONE
    )


@permission_required("incidents.add_incident")
@require_POST
def declare_preview(request):
    """Who the declare form's choices would page now: the form's live preview. Changes nothing."""
    form = DeclareForm(request.POST)
    return render(request, "incidents/_paging_preview.html", {"plan": _declare_plan(form)})


def _act(request, pk: int, action, success, form_name: str = "", to_kwargs=None):
    """Run ACTION on the incident; with FORM_NAME, validate the POST with that form first.

    Every outcome redirects (post/redirect/get): a refused post to the incident page with its errors
    beside its fields (_keep_failed_post), a done one to the incident page with SUCCESS (a string, or a
    function of the action's result). An action refused for the incident's state (ActionError) says why;
    a form's typing is kept with it.
    """
    incident = _access_incident(pk)
    kwargs = {}
    if form_name:
        form = _bind(form_name, request.POST, incident)
        if not form.is_valid():
            messages.error(request, "Not saved: please correct the errors shown.")
            return _keep_failed_post(request, incident, form_name)
        kwargs = to_kwargs(form) if to_kwargs else form.cleaned_data
    try:
        result = action(Actor.from_request(request), incident, **kwargs)
    except services.ActionError as exc:
        messages.error(request, str(exc))
        return _keep_failed_post(request, incident, form_name, str(exc)) if form_name else redirect(incident)
    messages.success(request, success(result) if callable(success) else success)
    return redirect(incident)


CHANGE = "incidents.change_incident"


def _action_view(action, success, form_name: str = "", to_kwargs=None, perm: str = CHANGE):
    """A POST-only view that checks PERM and runs one incident action."""

    @require_POST
    @permission_required(perm, owned="incidents.Incident")
    def view(request, pk: int):
        return _act(request, pk, action, success, form_name, to_kwargs)

    return view


def _acknowledged(incident: Incident) -> str:
    # "Paging stopped" only when paging was running (services.do_acknowledge says so).
    return "Acknowledged. Paging stopped." if getattr(incident, "stopped_paging", False) else "Acknowledged."


def _paged(incident: Incident) -> str:
    if escalation.is_paging(incident):
        return f"Paging {incident.escalation_snapshot.get('name', 'the on-call')}: level 1 is paged now."
    return "Paged the on-call."


def _posted(update) -> str:
    """Said after posting: how many were notified, or plainly that nobody was."""
    audience = _update_audience(update.incident)
    return f"Update posted. {notify_sentence(audience, done=True)}"


acknowledge = _action_view(services.do_acknowledge, _acknowledged)
resolve = _action_view(services.do_resolve, "Resolved.")
reopen = _action_view(services.do_reopen, "Reopened.")
escalate = _action_view(paging_actions.do_escalate, "Escalated: the next level was paged.")
page_oncall = _action_view(paging_actions.do_page_oncall, _paged)
start_escalation = _action_view(paging_actions.do_start_escalation, "Escalation started.", "escalation_form")
change_severity = _action_view(services.do_change_severity, "Severity changed.", "severity_form")
change_status = _action_view(services.do_change_status, "Status changed.", "status_form")
assign_role = _action_view(services.do_assign_role, "Role assigned.", "role_form")
war_room = _action_view(services.do_set_war_room, "War room links saved.", "war_room_form")
set_components = _action_view(
    services.do_set_components, "Components updated.", "components_form",
    to_kwargs=lambda form: {"components": form.selected()},
)  # fmt: skip
merge = _action_view(
    services.do_merge, "Merged.", "merge_form", to_kwargs=lambda form: {"into": form.cleaned_data["into"]}
)
post_update = _action_view(
    services.do_post_update, _posted, "update_form", to_kwargs=lambda form: form.action_kwargs(),
    perm="incidents.add_incidentupdate",
)  # fmt: skip
add_note = _action_view(services.do_add_note, "Note added.", "note_form", perm="incidents.add_incidentevent")


def acknowledge_from_link(request, token: str):
    """The one-click link in a page. The signed token is the credential: no login needed.

    GET shows what will be acknowledged (mail scanners and link previews fetch links);
    the button POSTs. A link acknowledges once (a used one says when, and by which way),
    and only while its person still holds a role that may acknowledge (incidents.paging).
    """
    try:
        page = paging.access_page_by_link(token)
    except signing.SignatureExpired:
        return render(request, "incidents/ack_link.html", {"error": "This link has expired."}, status=410)
    except (signing.BadSignature, Page.DoesNotExist):
        raise Http404("Unknown link") from None
    incident = page.incident
    context = {"incident": incident, "person": page.user, "used": paging.link_use(page)}
    if context["used"] is not None:
        return render(request, "incidents/ack_link.html", context, status=410)
    if not paging.may_acknowledge(page.user):  # said on the preview too, rather than offering a button that fails
        context["error"] = paging.refusal(page.user)
        return render(request, "incidents/ack_link.html", context, status=403)
    if request.method == "POST":
        try:
            paging_actions.do_acknowledge_by_link(
                page, "link", client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:300]
            )
            context["done"] = True
        except paging.LinkRefused as exc:
            context["error"] = str(exc)
            return render(request, "incidents/ack_link.html", context, status=403)
        except services.ActionError as exc:
            context["error"] = str(exc)
        incident.refresh_from_db()
    return render(request, "incidents/ack_link.html", context)


@permission_required("incidents.view_component")
def component_list(request):
    # Monitoring (which depends on incidents, not the reverse) adds the redundancy figure to the query.
    components, team_scope = ownership.list_scope(request, Component.objects.select_related("group", "owner_team"))
    context = {"components": providers.annotate_component_monitors(components), "team_scope": team_scope}
    return render(request, "incidents/components.html", context)


# --- Saying who an update reaches ------------------------------------------------------------------

MEDIA = {
    "email": ("email", "emails"),
    "sms": ("SMS", "SMS"),
    "voice": ("voice call", "voice calls"),
    "webhook": ("webhook post", "webhook posts"),
    "slack": ("Slack message", "Slack messages"),
    "mastodon": ("Mastodon post", "Mastodon posts"),
}


def _counted(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def notify_sentence(audience: signals.UpdateAudience, done: bool = False) -> str:
    """ "14 stakeholders and 312 subscribers: 298 emails, 28 SMS", or, plainly, that nobody hears it."""
    if not audience.messages:
        if done:
            return "Nobody was notified: no stakeholder, subscriber or endpoint hears about this incident."
        return (
            "Nobody will be notified: no stakeholder, subscriber or endpoint hears about this incident. "
            "You can still post: the update is recorded and shown on the status page."
        )
    people = [
        _counted(n, one, many)
        for n, one, many in (
            (audience.stakeholders, "stakeholder", "stakeholders"),
            (audience.subscribers, "subscriber", "subscribers"),
            (audience.endpoints, "endpoint", "endpoints"),
        )
        if n
    ]
    media = [_counted(n, *MEDIA.get(m, (m, m))) for m, n in sorted(audience.by_medium.items()) if n]
    return f"{'Notifying' if done else 'Notify'} {_and(people)}: {', '.join(media)}."
