"""The monitoring dashboard: the monitor list, a monitor's page, its form and actions.

Every change goes through monitoring.services, as the API's does. Every successful post redirects
(post/redirect/get); a failed one renders the page it came from, at that page's own URL where it
can (the maintenance form posts to the monitor's page), with the first error focused.
"""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from vigil import live, ownership, privacy
from vigil.access import permission_required
from vigil.audit import Actor
from vigil_probes import ProbeResult
from vigil_probes import State as ProbeState

from . import agent_health, confirmation, redundancy, services, svg
from .forms import KIND_HELP, MaintenanceForm, MonitorFilterForm, MonitorForm, settings_summary
from .locations import assigned_monitors
from .models import BrowserRun, CheckResult, Location, MaintenanceWindow, Monitor
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
# Settings a kind tab carries to the next kind's form, so choosing another kind loses no typing.
CARRIED = ["name", "target", "interval_seconds"]
# A *Test now* result waiting in the session for the page the post redirects to (no script).
TEST_RESULT_KEY = "monitoring:test-result:%s"


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
    scoped, team_scope = ownership.list_scope(request, Monitor.objects.select_related("component", "team"))
    monitors = filters.filter(scoped, search_targets=by_target)
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
        "team_scope": team_scope,
    }
    template = "monitoring/_rows.html" if request.GET.get("partial") else "monitoring/list.html"
    return render(request, template, context)


@permission_required(VIEW)
def location_list(request):
    """Where checks run from: each location, whether its agent is heard, and what it checks."""
    now = timezone.now()
    silent = set(Location.objects.filter(agent_health.silent_since(now)).values_list("pk", flat=True))
    rows = [
        (location, location.pk in silent and not location.is_central, assigned_monitors(location).count())
        for location in Location.objects.all()
    ]
    return render(request, "monitoring/locations.html", {"rows": rows, "now": now})


def _access_monitor(pk: int) -> Monitor:
    monitors = redundancy.with_redundancy(
        Monitor.objects.select_related("component", "escalation_policy", "incident", "redundancy_group")
    )
    return get_object_or_404(monitors, pk=pk)


def _wants_fragment(request) -> bool:
    """static/monitors.js asks for a part of the page (a test's result), not the whole page."""
    return request.headers.get("X-Requested-With") == "fetch"


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


def _replicas(monitor: Monitor):
    if not monitor.redundancy_group_id:
        return []
    return Monitor.objects.filter(redundancy_group_id=monitor.redundancy_group_id).only("pk", "name", "state")


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
        "failures": monitor.results.filter(outcome=CheckResult.Outcome.DOWN).select_related("location")[:20],
        "windows": windows.select_related("component", "created_by")[:20],
        "parents": monitor.parents.all(),
        "children": monitor.children.all(),
        "redundancy": redundancy.redundancy_of(monitor),
        "replicas": _replicas(monitor),
        "ping_urls": ping_urls(monitor) if show_ping else None,
        "ping_hidden": monitor.is_heartbeat and not show_ping,
        "maintenance_form": MaintenanceForm(monitor=monitor),
        "summary": settings_summary(shown),
        "refresh_seconds": live.poll_seconds(request.GET.get("refresh")),
        **({} if monitor.is_heartbeat else _chart(monitor, now)),
        **({} if monitor.is_heartbeat else _locations(monitor, now)),
        **_browser_run(request, monitor),
    }
    context.update(extra)
    return context


def _locations(monitor: Monitor, now) -> dict:
    """Each location's view of MONITOR, where it is checked from more than one (monitoring.confirmation)."""
    rows = confirmation.per_location(monitor, now)
    if len(rows) < 2:
        return {}
    k = monitor.confirm_locations
    rule = f"{k} of its locations see it down" if k else "a majority of its reporting locations see it down"
    return {
        "locations": rows,
        "confirm_rule": rule,
        "confirm_window": int(confirmation.window_of(monitor).total_seconds()),
    }


def _monitor_version(request, pk: int) -> tuple | None:
    """What the monitor's page shows moves with, in one query: the monitor's row (settings, state,
    last check), its incident's (title, status), its replicas' states and the maintenance windows on
    it or its component. Charts and uptime move with the checks, so with last_checked_at."""
    replicas = (
        Monitor.objects.filter(redundancy_group_id=OuterRef("redundancy_group_id"))
        .order_by()
        .values("redundancy_group_id")
    )
    windows = MaintenanceWindow.objects.filter(Q(monitor_id=OuterRef("pk")) | Q(component_id=OuterRef("component_id")))
    return (
        Monitor.objects.filter(pk=pk)
        .annotate(
            replicas_changed=Subquery(replicas.annotate(v=Max("state_changed_at")).values("v")[:1]),
            replicas_count=Subquery(replicas.annotate(v=Count("pk")).values("v")[:1]),
            newest_window=Subquery(windows.order_by("-pk").values("pk")[:1]),
        )
        .values_list(
            "updated_at", "last_checked_at", "state", "state_changed_at", "incident_id", "incident__updated_at",
            "redundancy_group_id", "replicas_changed", "replicas_count", "newest_window",
        )
        .first()
    )  # fmt: skip


def _browser_run(request, monitor: Monitor) -> dict:
    """A browser check's latest run; its screenshot only for those who may see the steps (vigil.privacy)."""
    if monitor.kind != Monitor.Kind.BROWSER:
        return {}
    run = BrowserRun.objects.filter(monitor=monitor).defer("screenshot").first()
    has_shot = run is not None and BrowserRun.objects.filter(pk=run.pk, screenshot__isnull=False).exists()
    shown = has_shot and privacy.may_see_field(request.user, monitor, "steps")
    return {
        "browser_run": run,
        "screenshot_url": reverse("monitoring:screenshot", args=[monitor.pk, run.pk]) if shown else "",
    }


@permission_required(VIEW)
def screenshot(request, pk: int, run: int):
    """The PNG a failed browser check took, for those who may see the monitor's steps."""
    monitor = get_object_or_404(Monitor, pk=pk)
    if not privacy.may_see_field(request.user, monitor, "steps"):
        raise Http404
    png = BrowserRun.objects.filter(pk=run, monitor=monitor).values_list("screenshot", flat=True).first()
    if not png:
        raise Http404
    response = HttpResponse(bytes(png), content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@permission_required(VIEW)
def monitor_detail(request, pk: int):
    """GET: the monitor's page (keeping itself current). POST: the page's maintenance form, so a
    refused window is shown at the page's own URL."""
    if request.method == "POST":
        return add_maintenance(request, pk)
    return _monitor_page(request, pk)


@live.live(_monitor_version)
def _monitor_page(request, pk: int):
    monitor = _access_monitor(pk)
    if request.GET.get("partial"):
        return render(request, "monitoring/_detail_live.html", _detail_context(request, monitor))
    waiting = request.session.pop(TEST_RESULT_KEY % monitor.pk, None)
    extra = {"test_result": _result_from(waiting)} if waiting else {}
    return render(request, "monitoring/detail.html", _detail_context(request, monitor, **extra))


def _result_from(data: dict) -> ProbeResult:
    data = {**data, "state": ProbeState(data["state"]), "checked_at": datetime.fromisoformat(data["checked_at"])}
    return ProbeResult(**data)


def _form_page(request, form: MonitorForm, status: int = 200, **extra):
    """The monitor form (new or edit), its first error focused."""
    form.focus_first_error()
    monitor = form.instance if form.instance.pk else None
    context = {
        "form": form,
        "has_errors": form.is_bound and _has_errors(form),
        "monitor": monitor,
        "kind": form.kind,
        "kind_label": Monitor.Kind(form.kind).label,
        "kind_help": KIND_HELP[form.kind],
        "kinds": Monitor.Kind.choices,
        "test_url": reverse("monitoring:test_edit", args=[monitor.pk])
        if monitor
        else reverse("monitoring:test_new", args=[form.kind]),
        **extra,
    }
    return render(request, "monitoring/form.html", context, status=status)


def _save(request, form: MonitorForm, action):
    """Run ACTION(actor, **settings) for a valid FORM, making the new group of replicas it names;
    a refusal by the model lands on the form, and nothing is saved."""
    actor = Actor.from_request(request)
    try:
        with transaction.atomic():
            settings = form.settings()
            if new_group := form.cleaned_data.get("new_redundancy_group"):
                try:
                    settings["redundancy_group"] = redundancy.redundancy_group_named(actor, new_group)
                except ValidationError as exc:
                    form.add_error("new_redundancy_group", exc.messages)
                    raise
            return action(actor, **settings)
    except ValidationError as exc:
        if not form.has_error("new_redundancy_group"):
            form.add_error(None, exc)
        return None


@permission_required(ADD)
def create(request, kind: str = Monitor.Kind.HTTP):
    """One page: kind (tabs), name, target and interval first, the rest folded; *Test* before saving."""
    if kind not in Monitor.Kind.values:
        raise Http404("No such kind of monitor")
    initial = {name: request.GET[name] for name in CARRIED if request.GET.get(name)}
    form = MonitorForm(request.POST or None, kind=kind, initial=initial)
    if request.method == "POST" and form.is_valid():
        monitor = _save(request, form, lambda actor, **data: services.do_create_monitor(actor, kind=kind, **data))
        if monitor is not None:
            messages.success(request, f"Created {monitor.name}.")
            return redirect(monitor)
    return _form_page(request, form, status=400 if form.is_bound and _has_errors(form) else 200)


@permission_required(CHANGE, owned="monitoring.Monitor")
def edit(request, pk: int):
    monitor = get_object_or_404(Monitor, pk=pk)
    form = MonitorForm(request.POST or None, instance=monitor, kind=monitor.kind)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, lambda actor, **data: services.do_update_monitor(actor, monitor, **data))
        if saved is not None:
            messages.success(request, "Settings saved.")
            return redirect(saved)
    return _form_page(request, form, status=400 if form.is_bound and _has_errors(form) else 200)


def _has_errors(form: MonitorForm) -> bool:
    rows = form.header_rows
    return bool(form.errors) or bool(rows is not None and rows.is_bound and not rows.is_valid())


def _test(request, form: MonitorForm):
    """*Test* on the form: one probe of the settings as typed, through the action *Test now* uses
    (same engine, limits, address rule and rate limit). Nothing is saved or recorded."""
    if not form.is_valid():
        # The whole page, errors beside their fields (the script sends the form again without it).
        return _form_page(request, form, status=400)
    result, error, status = None, "", 200
    try:
        result = services.do_test_now(Actor.from_request(request), form.instance)
    except services.TooManyTests as exc:
        error, status = str(exc), 429
    except services.ActionError as exc:
        error, status = str(exc), 400
    if _wants_fragment(request):
        return _test_fragment(request, result, error, status)
    return _form_page(request, form, status=status, test_result=result, test_error=error)


def _test_fragment(request, result, error: str, status: int):
    response = render(
        request, "monitoring/_test_result.html", {"test_result": result, "test_error": error}, status=status
    )
    response["X-Vigil-Fragment"] = "test-result"
    return response


@require_POST
@permission_required(ADD)  # responders may test only what they may create: admins create monitors
def test_new(request, kind: str):
    if kind not in Monitor.Kind.values:
        raise Http404("No such kind of monitor")
    return _test(request, MonitorForm(request.POST, kind=kind))


@require_POST
@permission_required(CHANGE, owned="monitoring.Monitor", managed_edit=False)  # saves nothing
def test_edit(request, pk: int):
    monitor = get_object_or_404(Monitor, pk=pk)
    return _test(request, MonitorForm(request.POST, instance=monitor, kind=monitor.kind))


def _action_view(action, success: str, perm: str = OPERATE):
    """A POST-only view that runs one monitor action and goes back to the monitor's page. None changes a
    setting the configuration files hold (pausing is state), so config's management does not refuse them."""

    @require_POST
    @permission_required(perm, owned="monitoring.Monitor", managed_edit=False)
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
@permission_required(OPERATE, owned="monitoring.Monitor", managed_edit=False)  # records nothing
def test_now(request, pk: int):
    """Run one probe now and show what it found (nothing is recorded): in place for the page's
    script, else on the monitor's page the post redirects to."""
    monitor = _access_monitor(pk)
    result, error, status = None, "", 200
    try:
        result = services.do_test_now(Actor.from_request(request), monitor)
    except services.TooManyTests as exc:
        error, status = str(exc), 429
    except services.ActionError as exc:
        error, status = str(exc), 400
    if _wants_fragment(request):
        return _test_fragment(request, result, error, status)
    if error:
        messages.error(request, error)
    else:
        request.session[TEST_RESULT_KEY % monitor.pk] = result.as_dict()
    return redirect(monitor)


@permission_required(DELETE, owned="monitoring.Monitor")
def delete(request, pk: int):
    """GET asks to confirm; POST deletes."""
    monitor = get_object_or_404(Monitor, pk=pk)
    if request.method == "POST":
        services.do_delete(Actor.from_request(request), monitor)
        messages.success(request, f"Deleted {monitor.name}.")
        return redirect("monitoring:list")
    return render(request, "monitoring/delete.html", {"monitor": monitor})


@require_POST
@permission_required(ADD_MAINTENANCE, owned="monitoring.Monitor")
def add_maintenance(request, pk: int):
    """Plan a window; a refused one shows on the monitor's page with its form open at the first error."""
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
    form.focus_first_error()
    context = _detail_context(request, monitor, maintenance_form=form)
    return render(request, "monitoring/detail.html", context, status=400)
