"""What the other apps recorded about an incident: what opened it, and their figures.

postmortems.drafting stores them in PostMortem.impact. This app imports none of them (issue #16):
it asks through incidents.signals, and the app that knows answers. incident_detection: the app that
opened the incident says what did and the earliest sign of trouble it has on record (monitoring: the
opening monitor's first failing check; reputation: the spike's first hour). incident_figures: each
app's figures (comms: "notifications", what the outbox did with the public updates; reputation:
"mentions", those linked to the incident). Each answer costs a fixed number of queries (one or two,
aggregates computed by the database) however long the incident ran, how many checks failed or how
many messages went out.
"""

from dataclasses import dataclass
from datetime import datetime

from incidents.models import Alert, Incident, IncidentEvent, Source
from incidents.signals import incident_detection, incident_figures


@dataclass(frozen=True)
class Detection:
    text: str  # what opened the incident, for people: "Monitor “API health”"
    first_sign_at: datetime  # the earliest sign of trouble on record


def _declarer(incident: Incident, events: list[IncidentEvent]) -> str:
    declared = next((e for e in events if e.kind == IncidentEvent.Kind.DECLARED), None)
    name = declared.actor_label if declared and declared.actor_id else ""
    return f"Declared by a person ({name})" if name else "Declared by a person"


def detected_by(incident: Incident, events: list[IncidentEvent]) -> Detection:
    """What opened INCIDENT and the first sign of trouble: the incident's start, an attached alert's
    startsAt, or what the app that opened it answers (a monitor's first failing check, a spike's first hour)."""
    signs = [incident.started_at]
    alert = Alert.objects.filter(incident=incident).select_related("integration").order_by("starts_at", "pk").first()
    if alert is not None:
        signs.append(alert.starts_at)
    text = _declarer(incident, events)
    if incident.source == Source.ALERT and alert is not None:
        text = f"Alert “{alert.title}” from {alert.integration.get_kind_display()} (“{alert.integration.name}”)"
    for _receiver, answer in incident_detection.send(sender=Incident, incident=incident):
        if answer is not None:
            text = answer.text
            if answer.first_sign_at is not None:
                signs.append(answer.first_sign_at)
    return Detection(text, min(signs))


def recorded_figures(incident: Incident) -> dict:
    """{name: figures} from every app that recorded something about INCIDENT ("notifications", "mentions")."""
    figures: dict = {}
    for _receiver, answer in incident_figures.send(sender=Incident, incident=incident):
        figures.update(answer or {})
    return figures
