"""The dashboard (home): what is on fire, am I paged, who is on call now, are the workers alive."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Subquery, Value
from django.shortcuts import render
from django.utils import timezone

from vigil import live
from vigil.access import login_required
from vigil.services import worker_status

from .models import Component, Incident, Override, Page, Schedule, Severity, Status
from .oncall.schedule import load_plans


def _scalar(queryset, aggregate) -> Subquery:
    """SELECT <aggregate> FROM <queryset> as a subquery: one value, whatever the rows."""
    return Subquery(queryset.order_by().annotate(_all=Value(1)).values("_all").annotate(v=aggregate).values("v"))


def _dashboard_version(request):
    """What the dashboard shows moves with the incidents, the viewer's pages, the components, the
    overrides, and the minute (hand-offs happen on the clock, with no row changing): one query, read
    from the viewer's own row so that it answers even when there is no incident at all."""
    pages = Page.objects.filter(user=request.user)
    version = (
        get_user_model()
        .objects.filter(pk=request.user.pk)
        .values_list(
            _scalar(Incident.objects.all(), Max("updated_at")),
            _scalar(Incident.objects.all(), Count("pk")),
            _scalar(pages, Count("pk")),
            _scalar(pages.filter(status=Page.Status.ACKNOWLEDGED), Count("pk")),
            _scalar(Component.objects.all(), Max("updated_at")),
            _scalar(Override.objects.all(), Max("created_at")),
            _scalar(Override.objects.all(), Count("pk")),
        )
    )
    return (*version.first(), timezone.now().replace(second=0, microsecond=0))


def _on_call_now(now) -> list[tuple]:
    """(schedule, [people on call]) for every schedule, in three queries (incidents.oncall.schedule)."""
    schedules = list(Schedule.objects.all())
    plans = load_plans(schedules, now)
    return [(s, plans[s.pk].users_at(now)) for s in schedules]


def _dashboard_context(request) -> dict:
    can_see = request.user.has_perm("incidents.view_incident")
    now = timezone.now()
    mine = Page.objects.filter(user=request.user, incident__status=Status.TRIGGERED).select_related("incident")
    open_incidents = Incident.objects.open().by_urgency().select_related("commander")[:50] if can_see else None
    return {
        "open_incidents": open_incidents,
        "by_severity": _count_by_severity() if can_see else [],
        "components": Component.objects.exclude(status="operational") if can_see else None,
        "my_pages": list({p.incident_id: p for p in mine.order_by("created_at")}.values())[:10],
        "on_call": _on_call_now(now) if request.user.has_perm("incidents.view_schedule") else None,
        "now": now,
    }


def _count_by_severity() -> list[tuple[str, str, int]]:
    counts = dict(Incident.objects.open().order_by().values_list("severity").annotate(n=Count("pk")))
    return [(value, label, counts.get(value, 0)) for value, label in Severity.choices]


@live.live(_dashboard_version)
def _dashboard_part(request):
    return render(request, "incidents/_dashboard.html", _dashboard_context(request))


@login_required
def dashboard(request):
    """Home, answering at a glance: what is on fire (open incidents, worst first), am I paged (with an
    Acknowledge button), who is on call now, which monitors are down (the monitors' own live list), and
    whether Vigil's workers are alive. ?partial=1 is the live part alone (vigil.live: 304 while unchanged)."""
    if request.GET.get("partial"):
        return _dashboard_part(request)
    context = {**_dashboard_context(request), "workers": worker_status()}
    return render(request, "incidents/dashboard.html", context)
