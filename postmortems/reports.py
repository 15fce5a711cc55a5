"""Figures for the reports page, computed in the database."""

from django.db.models import Avg, Count, F

from incidents.models import Incident


def incident_figures() -> dict:
    incidents = Incident.objects.all()
    durations = incidents.aggregate(
        mtta=Avg(F("acknowledged_at") - F("started_at")),
        mttr=Avg(F("resolved_at") - F("started_at")),
        total=Count("id"),
    )
    by_severity = incidents.values("severity").annotate(count=Count("id")).order_by("severity")
    return {**durations, "by_severity": list(by_severity)}
