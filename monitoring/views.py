"""The monitoring dashboard: the monitor list, a monitor's page, its forms and actions.

Every change goes through monitoring.services, as the API's does.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from vigil import live, privacy
from vigil.access import permission_required
from vigil.audit import Actor

from . import services, svg
from .forms import MaintenanceForm, MonitorFilterForm, MonitorForm, settings_summary
from .models import CheckResult, MaintenanceWindow, Monitor
from .uptime import uptime_for, uptime_windows

VIEW = "monitoring.view_monitor"
ADD = "monitoring.add_monitor"
CHANGE = "monitoring.change_monitor"
DELETE = "monitoring.delete_monitor"
# Pausing, resuming and testing need change_monitor, which responders hold (monitoring.apps).
OPERATE = CHANGE
ADD_MAINTENANCE = "monitoring.add_maintenancewindow"

PAGE_SIZE = 100
SPARKLINE_POINTS = 30
CHART_SPAN = timedelta(hours=24)
CHART_SLICES = 96  # 15 minutes each
TABLE_SLICES = 4  # the chart's table shows hours
UPTIME_LABELS = {"24h": "24 hours", "7d": "7 days", "30d": "30 days", "90d": "90 days"}


def percent(share: float | None) -> str:
    """0.99987 -> '99.98%': rounded down, so a monitor that was ever down never shows 100%."""
    if share is None:
        return "—"
    return f"{math.floor(share * 10000) / 100:g}%"


def _monitors_version(request) -> tuple:
    """What the list shows moves with a monitor's row (its state, its last check) or their number."""
    return tuple(Monitor.objects.aggregate(Max("updated_at"), Max("last_checked_at"), Count("pk")).values())


@permission_required(VIEW)
@live.live(_monitors_version)
def monitor_list(request):
    """The monitor list: a page costs the same few queries with 10 or 10,000 monitors."""
    filters = MonitorFilterForm(request.GET)
    # Searching targets one sees masked would spell them out letter by letter (vigil.privacy).
    by_target = privacy.may_see(request.user, privacy.rule_for("monitoring.Monitor.target"))
    monitors = filters.filter(Monitor.objects.select_related("component"), search_targets=by_target)
    page = Paginator(monitors, PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [monitor.pk for monitor in page]
    results = services.latest_results(ids, SPARKLINE_POINTS)
    uptime = uptime_for(ids, timezone.now() - timedelta(hours=24))
    rows = [(privacy.masked(request.user, m), percent(uptime.get(m.pk)), svg.sparkline(results[m.pk])) for m in page]
    counts = dict(Monitor.objects.order_by().values_list("state").annotate(n=Count("pk")))
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "state_counts": [(state, label, counts[state]) for state, label in Monitor.State.choices if state in counts],
        "refresh_seconds": live.poll_seconds(request.GET.get("refresh")),
    }
    template = "monitoring/_rows.html" if request.GET.get("partial") else "monitoring/list.html"
    return render(request, template, context)


def _access_monitor(pk: int) -> Monitor:
    monitors = services.with_redundancy(Monitor.objects.select_related("component", "escalation_policy", "incident"))
    return get_object_or_404(monitors, pk=pk)


def ping_urls(monitor: Monitor) -> dict[str, str]:
    """A heartbeat's absolute ping URLs, for its job to call."""
    base = settings.VIGIL_BASE_URL
    return {
        "success": base + monitor.ping_url,
        "start": base + reverse("ping-start", args=[monitor.ping_token]),
        "fail": base + reverse("ping-fail", args=[monitor.ping_token]),
    }


def _chart(monitor: Monitor, now) -> dict:
    # Slices end on a quarter hour, so the hour lines fall on slice edges.
    until = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0) + timedelta(minutes=15)
    buckets = services.response_times(monitor, until - CHART_SPAN, until, CHART_SLICES)
    checked = any(bucket.checks for bucket in buckets)
    chart = svg.response_time_chart(buckets, "Response time, last 24 hours", f"rt{monitor.pk}") if checked else None
    return {
        "chart": chart,
        "chart_summary": svg.chart_summary(buckets),
        "chart_hours": services.merge_buckets(buckets, TABLE_SLICES),
    }


def _detail_context(request, monitor: Monitor, **extra) -> dict:
    """The monitor's page. Its settings and ping URLs are shown as the asker may see them (vigil.privacy)."""
    now = timezone.now()
    shown = privacy.masked(request.user, monitor)
    show_ping = monitor.is_heartbeat and privacy.may_see_field(request.user, monitor, "ping_url")
    windows = MaintenanceWindow.objects.filter(ends_at__gt=now - timedelta(days=7)).filter(
        Q(monitor=monitor) | Q(component_id=monitor.component_id) if monitor.component_id else Q(monitor=monitor)
    )
    uptime = uptime_windows([monitor.pk], now)[monitor.pk]
    context = {
        "monitor": shown,
        "now": now,
        "uptime": {UPTIME_LABELS[window]: percent(share) for window, share in uptime.items()},
        "history": monitor.state_changes.all()[:30],
        "failures": monitor.results.filter(outcome=CheckResult.Outcome.DOWN)[:20],
        "windows": windows.select_related("component", "created_by")[:20],
        "parents": monitor.parents.all(),
        "children": monitor.children.all(),
        "redundancy": services.redundancy_of(monitor),
        "ping_urls": ping_urls(monitor) if show_ping else None,
        "ping_hidden": monitor.is_heartbeat and not show_ping,
        "maintenance_form": MaintenanceForm(monitor=monitor),
        "summary": settings_summary(shown),
        **({} if monitor.is_heartbeat else _chart(monitor, now)),
    }
    context.update(extra)
    return context


@permission_required(VIEW)
def monitor_detail(request, pk: int):
    return render(request, "monitoring/detail.html", _detail_context(request, _access_monitor(pk)))


@permission_required(ADD)
def choose_kind(request):
    return render(request, "monitoring/choose_kind.html", {"kinds": Monitor.Kind.choices})


def _save(request, form: MonitorForm, action):
    """Run ACTION(actor, **settings) for a valid FORM; a refusal by the model lands on the form."""
    try:
        return action(Actor.from_request(request), **form.cleaned_data)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


@permission_required(ADD)
def create(request, kind: str):
    if kind not in Monitor.Kind.values:
        raise Http404("No such kind of monitor")
    form = MonitorForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        monitor = _save(request, form, lambda actor, **data: services.do_create_monitor(actor, kind=kind, **data))
        if monitor is not None:
            messages.success(request, f"Created {monitor.name}.")
            return redirect(monitor)
    status = 400 if form.errors else 200
    return render(
        request, "monitoring/form.html", {"form": form, "kind_label": Monitor.Kind(kind).label}, status=status
    )


@permission_required(CHANGE)
def edit(request, pk: int):
    monitor = get_object_or_404(Monitor, pk=pk)
    form = MonitorForm(request.POST or None, instance=monitor, kind=monitor.kind)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, lambda actor, **data: services.do_update_monitor(actor, monitor, **data))
        if saved is not None:
            messages.success(request, "Settings saved.")
            return redirect(saved)
    context = {"form": form, "monitor": monitor, "kind_label": monitor.get_kind_display()}
    return render(request, "monitoring/form.html", context, status=400 if form.errors else 200)


def _action_view(action, success: str, perm: str = OPERATE):
    """A POST-only view that runs one monitor action and goes back to the monitor's page."""

    @require_POST
    @permission_required(perm)
    def view(request, pk: int):
        monitor = get_object_or_404(Monitor, pk=pk)
        try:
            action(Actor.from_request(request), monitor)
            messages.success(request, success)
        except services.ActionError as exc:
            messages.error(request, str(exc))
        return redirect(monitor)

    return view


pause = _action_view(services.do_pause, "Paused: no checks and no alerts until you resume it.")
rotate_ping_url = _action_view(
    services.do_rotate_ping_url,
    "New ping URL made. The old one no longer works: update the job.",
    perm="monitoring.rotate_ping_url",  # admins only: responders hold change_monitor, not this
)
resume = _action_view(services.do_resume, "Resumed: checking again.")


@require_POST
@permission_required(OPERATE)
def test_now(request, pk: int):
    """Run one probe now and show what it found on the monitor's page (nothing is recorded)."""
    monitor = _access_monitor(pk)
    try:
        result = services.do_test_now(Actor.from_request(request), monitor)
    except services.ActionError as exc:
        messages.error(request, str(exc))
        return redirect(monitor)
    return render(request, "monitoring/detail.html", _detail_context(request, monitor, test_result=result))


@permission_required(DELETE)
def delete(request, pk: int):
    """GET asks to confirm; POST deletes."""
    monitor = get_object_or_404(Monitor, pk=pk)
    if request.method == "POST":
        services.do_delete(Actor.from_request(request), monitor)
        messages.success(request, f"Deleted {monitor.name}.")
        return redirect("monitoring:list")
    return render(request, "monitoring/delete.html", {"monitor": monitor})


@require_POST
@permission_required(ADD_MAINTENANCE)
def add_maintenance(request, pk: int):
    monitor = _access_monitor(pk)
    form = MaintenanceForm(request.POST, monitor=monitor)
    if form.is_valid():
        try:
            services.do_add_maintenance(Actor.from_request(request), **form.window())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Maintenance window planned.")
            return redirect(monitor)
    context = _detail_context(request, monitor, maintenance_form=form)
    return render(request, "monitoring/detail.html", context, status=400)
