import logging

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from vigil import live
from vigil.access import login_required, permission_required
from vigil.audit import Actor, client_ip
from vigil.services import worker_status

from . import paging, services, signals
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
from .models import Component, Incident, Page, Severity, SeverityDefinition, Status

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


def _detail_context(incident: Incident, **forms) -> dict:
    context = {
        "incident": incident,
        "events": incident.events.select_related("actor"),
        "affected": incident.affected.select_related("component"),
        "updates": incident.updates.all(),
        "pages": incident.pages.select_related("user")[:50],
        "alerts": incident.alerts.all()[:50],
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


@permission_required("incidents.view_incident")
def incident_detail(request, pk: int):
    incident = _access_incident(pk)
    return render(request, "incidents/detail.html", {**_detail_context(incident), "panels": _panels(request, incident)})


@permission_required("incidents.add_incident")
def declare(request):
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        incident, _ = services.do_declare(Actor.from_request(request), **form.cleaned_data)
        messages.success(request, f"Declared {incident}.")
        return redirect(incident)
    return render(request, "incidents/declare.html", {"form": form, "definitions": SeverityDefinition.objects.all()})


def _act(request, pk: int, action, success: str, form_class=None, form_name: str = "", to_kwargs=None):
    """Run ACTION on the incident; with FORM_CLASS, validate the POST first and re-render on errors."""
    incident = _access_incident(pk)
    kwargs = {}
    if form_class is not None:
        extra = {"incident": incident} if getattr(form_class, "takes_incident", False) else {}
        form = form_class(request.POST, **extra)
        if not form.is_valid():
            messages.error(request, "Please correct the errors below.")
            context = {**_detail_context(incident, **{form_name: form}), "panels": _panels(request, incident)}
            return render(request, "incidents/detail.html", context, status=400)
        kwargs = to_kwargs(form) if to_kwargs else form.cleaned_data
    try:
        action(Actor.from_request(request), incident, **kwargs)
        messages.success(request, success)
    except services.ActionError as exc:
        messages.error(request, str(exc))
    return redirect(incident)


CHANGE = "incidents.change_incident"


def _action_view(action, success: str, form_class=None, form_name: str = "", to_kwargs=None, perm: str = CHANGE):
    """A POST-only view that checks PERM and runs one incident action."""

    @require_POST
    @permission_required(perm)
    def view(request, pk: int):
        return _act(request, pk, action, success, form_class, form_name, to_kwargs)

    return view


acknowledge = _action_view(services.do_acknowledge, "Acknowledged. Paging stopped.")
resolve = _action_view(services.do_resolve, "Resolved.")
reopen = _action_view(services.do_reopen, "Reopened.")
escalate = _action_view(services.do_escalate, "Escalated: the next level was paged.")
start_escalation = _action_view(services.do_start_escalation, "Escalation started.", EscalationForm, "escalation_form")
change_severity = _action_view(services.do_change_severity, "Severity changed.", SeverityForm, "severity_form")
change_status = _action_view(services.do_change_status, "Status changed.", StatusForm, "status_form")
assign_role = _action_view(services.do_assign_role, "Role assigned.", RoleForm, "role_form")
war_room = _action_view(services.do_set_war_room, "War room links saved.", WarRoomForm, "war_room_form")
set_components = _action_view(
    services.do_set_components, "Components updated.", ComponentsForm, "components_form",
    to_kwargs=lambda form: {"components": form.selected()},
)  # fmt: skip
merge = _action_view(
    services.do_merge, "Merged.", MergeForm, "merge_form", to_kwargs=lambda form: {"into": form.cleaned_data["into"]}
)
post_update = _action_view(
    services.do_post_update, "Update posted.", UpdateForm, "update_form", perm="incidents.add_incidentupdate"
)
add_note = _action_view(services.do_add_note, "Note added.", NoteForm, "note_form", perm="incidents.add_incidentevent")


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
            paging.do_acknowledge_by_link(
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
    # Monitors point at components (monitoring depends on incidents, not the reverse); the
    # reverse relation gives the redundancy figure without importing the monitoring app.
    watched = ~Q(monitors__state="paused")
    components = Component.objects.select_related("group").annotate(
        monitors_total=Count("monitors", filter=watched),
        monitors_up=Count("monitors", filter=watched & Q(monitors__state__in=["up", "degraded"])),
    )
    return render(request, "incidents/components.html", {"components": components})


@login_required
def dashboard(request):
    """Home: what is open now, my pages, and whether Vigil's own workers are alive."""
    can_see = request.user.has_perm("incidents.view_incident")
    context = {
        "open_incidents": Incident.objects.open().by_urgency()[:10] if can_see else None,
        "components": Component.objects.exclude(status="operational") if can_see else None,
        "my_pages": Page.objects.filter(user=request.user, incident__status=Status.TRIGGERED).select_related(
            "incident"
        )[:10],
        "workers": worker_status(),
    }
    return render(request, "incidents/dashboard.html", context)
