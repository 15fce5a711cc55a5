"""Every figure of the reports, aggregated by the database: a fixed number of queries whatever the data.

Incidents count in the period they started in; an incident merged into another is the other's
duplicate and is left out. MTTA averages (acknowledged_at - started_at) over the acknowledged
ones, MTTR (resolved_at - started_at) over the resolved ones; both in minutes.

Uptime per component is its monitors' monitored and down seconds summed (time paused or in
maintenance is not monitored), over the last 30 and 90 days up to now ([now - N days, now)), read
by monitoring.uptime.component_seconds (asked for through incidents.providers.component_uptime:
this app imports no app beside it) and written by vigil.figures: the one function the status page
and the monitor page read too, so the three show one number for one period (issue #15: the reports said 100% where the
status page said 99.56%; each summed rollups its own way over its own days). The error budget is
what the SLO allows of that time: with several monitors, the minutes are per monitor (their sums
divided by how many had data), so one monitor's figures are exactly its own.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from incidents import providers
from incidents.models import Alert, Component, Incident, IncidentComponent, Severity, Source
from postmortems.models import ActionItem
from vigil import figures as one_uptime

from .period import Period
from .tables import Table

TOP = 10
UPTIME_WINDOWS = (30, 90)
NOTHING_MONITORED = (0.0, 0.0, 0)  # (monitored, down, monitors with data) of a component without figures
TO_ACK = ExpressionWrapper(F("acknowledged_at") - F("started_at"), output_field=DurationField())
TO_RESOLVE = ExpressionWrapper(F("resolved_at") - F("started_at"), output_field=DurationField())
# Per group of incidents: counts, and the summed times to acknowledge and to resolve (NULLs skipped).
GROUP_SUMS = {
    "incidents": Count("id"),
    "acknowledged": Count("acknowledged_at"),
    "resolved": Count("resolved_at"),
    "to_ack": Sum(TO_ACK),
    "to_resolve": Sum(TO_RESOLVE),
}
DURATION_COLUMNS = [
    ("incidents", "Incidents"),
    ("acknowledged", "Acknowledged"),
    ("resolved", "Resolved"),
    ("mtta_minutes", "MTTA (min)"),
    ("mttr_minutes", "MTTR (min)"),
]


def incidents_in(period: Period) -> QuerySet:
    return Incident.objects.filter(started_at__gte=period.start, started_at__lt=period.end, merged_into__isnull=True)


def minutes(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds() / 60, 2)


# --- Incidents ------------------------------------------------------------------------------------


def incident_groups(period: Period) -> list[dict]:
    """The period's incidents counted per (month, severity, source), with their summed times to acknowledge
    and to resolve. One query, one pass over the incidents, at most months x 4 x 4 rows: the summary, the
    months, the severities and the sources are added up from these exactly (sums and counts, not averages)."""
    rows = (
        incidents_in(period)
        .annotate(month=TruncMonth("started_at"))
        .order_by()
        .values("month", "severity", "source")
        .annotate(**GROUP_SUMS)
    )
    return [{**row, "month": _day(row["month"])} for row in rows]


def durations(groups: Iterable[dict]) -> dict:
    """Counts, MTTA and MTTR (minutes) of the incidents in GROUPS."""
    total = {"incidents": 0, "acknowledged": 0, "resolved": 0, "to_ack": timedelta(0), "to_resolve": timedelta(0)}
    for group in groups:
        for key in total:
            total[key] += group[key] or type(total[key])()
    return {
        "incidents": total["incidents"],
        "acknowledged": total["acknowledged"],
        "resolved": total["resolved"],
        "mtta_minutes": minutes(total["to_ack"] / total["acknowledged"]) if total["acknowledged"] else None,
        "mttr_minutes": minutes(total["to_resolve"] / total["resolved"]) if total["resolved"] else None,
    }


def summary(groups: list[dict]) -> Table:
    return Table("summary", "Summary", DURATION_COLUMNS, [durations(groups)])


def monthly(period: Period, groups: list[dict]) -> Table:
    """One row a month of the period (in the viewer's zone), months without incidents included."""
    return Table(
        "monthly",
        "MTTA and MTTR per month",
        [("month", "Month"), *DURATION_COLUMNS],
        [
            {"month": f"{month:%Y-%m}", **durations(g for g in groups if g["month"] == month)}
            for month in _months(period)
        ],
    )


def _day(moment: datetime | date) -> date:
    return timezone.localtime(moment).date() if isinstance(moment, datetime) else moment


def _months(period: Period) -> Iterable[date]:
    month, last = period.first_day.replace(day=1), period.last_day.replace(day=1)
    while month <= last:
        yield month
        month = (month + timedelta(days=32)).replace(day=1)


def by_severity(groups: list[dict]) -> Table:
    return Table(
        "severity",
        "Incidents, MTTA and MTTR by severity",
        [("severity", "Severity"), *DURATION_COLUMNS],
        [
            {"severity": label, **durations(g for g in groups if g["severity"] == value)}
            for value, label in Severity.choices
        ],
    )


def by_source(groups: list[dict]) -> Table:
    return Table(
        "sources",
        "Incidents by source",
        [("source", "Source"), ("incidents", "Incidents")],
        [
            {"source": label, "incidents": sum(g["incidents"] for g in groups if g["source"] == value)}
            for value, label in Source.choices
        ],
    )


def by_component(period: Period) -> Table:
    rows = (
        IncidentComponent.objects.filter(
            incident__started_at__gte=period.start,
            incident__started_at__lt=period.end,
            incident__merged_into__isnull=True,
        )
        .order_by()
        .values("component_id", "component__name")
        .annotate(incidents=Count("id"))  # one row per (incident, component): incident_component_once
        .order_by("-incidents", "component__name")
    )
    return Table(
        "components",
        "Incidents by component",
        [("component", "Component"), ("incidents", "Incidents")],
        [{"component": row["component__name"], "incidents": row["incidents"]} for row in rows],
    )


# --- Noise ----------------------------------------------------------------------------------------


def noisiest_monitors(period: Period) -> Table:
    """The monitors that went down most often in the period, with the incidents their outages opened."""
    # Each with the dedup key of the incident its outage opens (monitoring.alerting.monitor_key).
    downs = providers.noisiest_monitors(period.start, period.end, TOP)
    keys = [row["dedup_key"] for row in downs]
    opened = dict(
        incidents_in(period).filter(dedup_key__in=keys).order_by().values_list("dedup_key").annotate(Count("id"))
    )
    return Table(
        "monitors",
        "Noisiest monitors",
        [("monitor", "Monitor"), ("downs", "Times down"), ("incidents", "Incidents opened")],
        [
            {"monitor": row["monitor"], "downs": row["downs"], "incidents": opened.get(row["dedup_key"], 0)}
            for row in downs
        ],
    )


def noisiest_alerts(period: Period) -> Table:
    """The alerts (by integration and fingerprint) received most often among those that started in the period."""
    rows = (
        Alert.objects.filter(starts_at__gte=period.start, starts_at__lt=period.end)
        .order_by()
        .values("integration_id", "fingerprint")
        .annotate(
            integration=Max("integration__name"),
            title=Max("title"),
            firings=Count("id"),
            received=Sum("received_count"),
        )
        .order_by("-received", "-firings", "title")[:TOP]
    )
    return Table(
        "alerts",
        "Noisiest alerts",
        [("alert", "Alert"), ("integration", "Integration"), ("firings", "Times fired"), ("received", "Received")],
        [
            {
                "alert": row["title"],
                "integration": row["integration"],
                "firings": row["firings"],
                "received": row["received"],
            }
            for row in rows
        ],
    )


# --- Action items ---------------------------------------------------------------------------------

OPEN = [ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS]
ITEM_OUTCOMES = [
    ("on_time", "Completed on time"),
    ("late", "Completed late"),
    ("overdue", "Overdue"),
    ("not_due", "Open, not yet due"),
    ("wont_do", "Won't do"),
]


def action_items(period: Period, today: date | None = None) -> Table:
    """The items due in the period, by outcome. On time: done on or before the due date (in the viewer's
    zone); an item marked done without a completion time counts as on time."""
    today = today or timezone.localdate()
    done = Q(status=ActionItem.Status.DONE)
    late = done & Q(completed_on__gt=F("due_date"))
    counts = (
        ActionItem.objects.filter(due_date__gte=period.first_day, due_date__lte=period.last_day)
        .annotate(completed_on=TruncDate("completed_at"))
        .aggregate(
            on_time=Count("id", filter=done & (Q(completed_on__isnull=True) | Q(completed_on__lte=F("due_date")))),
            late=Count("id", filter=late),
            overdue=Count("id", filter=Q(status__in=OPEN, due_date__lt=today)),
            not_due=Count("id", filter=Q(status__in=OPEN, due_date__gte=today)),
            wont_do=Count("id", filter=Q(status=ActionItem.Status.WONT_DO)),
        )
    )
    return Table(
        "action_items",
        "Action items due in the period",
        [("outcome", "Outcome"), ("items", "Items")],
        [{"outcome": label, "items": counts[key]} for key, label in ITEM_OUTCOMES],
    )


# --- Uptime against each component's SLO ----------------------------------------------------------

# A window's figures (budget()), and their column in the uptime table for a window of N days.
BUDGET_FIELDS = {
    "uptime_pct": ("uptime_{}d_pct", "Uptime {} d (%)"),
    "downtime_minutes": ("downtime_{}d_minutes", "Downtime {} d (min)"),
    "budget_minutes": ("budget_{}d_minutes", "Error budget {} d (min)"),
    "budget_left_minutes": ("budget_left_{}d_minutes", "Budget left {} d (min)"),
    "budget_left_pct": ("budget_left_{}d_pct", "Budget left {} d (%)"),
}
BUDGET_KEYS = list(BUDGET_FIELDS)
UPTIME_COLUMNS = [("component", "Component"), ("slo_pct", "SLO (%)")] + [
    (name.format(days), heading.format(days)) for days in UPTIME_WINDOWS for name, heading in BUDGET_FIELDS.values()
]


def uptime_windows(now: datetime) -> dict[int, tuple[datetime, datetime]]:
    """The uptime table's windows: the last 30 and 90 days, to now (vigil.figures.last_days)."""
    return {days: one_uptime.last_days(days, now) for days in UPTIME_WINDOWS}


def uptime(now: datetime | None = None) -> Table:
    """Each component's uptime over the last 30 and 90 days, against its SLO. Eight queries."""
    now = now or timezone.now()
    windows = uptime_windows(now)
    rows, shown = [], []
    for component, seconds in component_seconds(windows, now):
        row, texts = {"component": component["name"], "slo_pct": float(component["slo"])}, {}
        for days in UPTIME_WINDOWS:
            figures = budget(component["slo"], *seconds[days])
            row.update({BUDGET_FIELDS[key][0].format(days): value for key, value in figures.items()})
            # What the page shows: the status page's and the monitor page's figure, written their way
            # (two decimals, rounded down); the CSV and the API keep the number.
            share = one_uptime.ratio(*seconds[days][:2])
            texts[f"uptime_{days}d_pct"] = None if share is None else one_uptime.percent(share)
        rows.append(row)
        shown.append(texts)
    periods = {days: one_uptime.period_words(*windows[days]) for days in UPTIME_WINDOWS}
    end = one_uptime.day_words(now, end=True)
    title = f"Uptime against each component's SLO, over the last 30 and 90 days, to {end}"
    return Table("uptime", title, UPTIME_COLUMNS, rows, periods=periods, shown=shown)


def component_seconds(windows: dict, now: datetime | None = None) -> list[tuple[dict, dict]]:
    """[(component {id, name, slo}, {label: (monitored, down, monitors with data)})] for every component,
    by name, over each window [start, end) of WINDOWS {label: (start, end)}, from monitoring.uptime's
    one function (incidents.providers.component_uptime)."""
    found = providers.component_uptime(windows, now=now)
    result = []
    for component in Component.objects.order_by("name").values("id", "name", "slo"):
        by_window = found.get(component["id"], {})
        seconds = {
            label: NOTHING_MONITORED if figure is None else (figure.monitored, figure.down, figure.monitors)
            for label, figure in ((label, by_window.get(label)) for label in windows)
        }
        result.append((component, seconds))
    return result


def budget(slo: Decimal, monitored: float, down: float, monitors: int) -> dict:
    """A window's uptime and error budget, from its monitors' summed seconds (minutes per monitor)."""
    share = one_uptime.ratio(monitored, down)
    if share is None or not monitors:
        return dict.fromkeys(BUDGET_KEYS)
    allowed = (1 - float(slo) / 100) * monitored / monitors / 60
    downtime = down / monitors / 60
    return {
        "uptime_pct": _round(share * 100, 3),
        "downtime_minutes": _round(downtime, 2),
        "budget_minutes": _round(allowed, 2),
        "budget_left_minutes": _round(allowed - downtime, 2),
        "budget_left_pct": _round((allowed - downtime) / allowed * 100, 2) if allowed > 0 else None,
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
