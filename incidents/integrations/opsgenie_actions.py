"""What Opsgenie's acknowledge and notes (and a create's or a close's note) do to the incident holding an alert.

Opening and resolving go down the alert pipeline (pipeline.ingest) like every alert; these go
through the incident actions (do_acknowledge through acknowledge.py, do_add_note), acting as the
integration (services.actor_for), as the pipeline does. Opsgenie answers these requests with 202
before it acts, so a request with nothing to act on (an unknown alias, an incident already
acknowledged or resolved) is not an error here either: it does nothing, and says so in its return.
"""

from incidents.models import Alert, Incident, Integration
from incidents.services import do_add_note

from . import acknowledge, opsgenie, pipeline, services
from .access import access_integration
from .delivery import IngestResult
from .opsgenie import AlertAction
from .parsers import ParsedAlert

KIND = Integration.Kind.OPSGENIE


def create_alert(key: str, alert: ParsedAlert) -> IngestResult | None:
    """A create, down the pipeline; a new alert's note (if any) goes on its incident's timeline.

    None when KEY names no enabled Opsgenie integration.
    """
    result = pipeline.ingest(KIND, key, [alert])
    note = AlertAction(user=alert.annotations.get("user", ""), note=alert.annotations.get("note", ""))
    if result is not None and result.new and note.note:
        integration = access_integration(KIND, key)
        if integration is not None:
            incident = Incident.objects.get(pk=result.firing[alert.fingerprint][1])
            add_note(integration, incident, note)
    return result


def close_alert(key: str, fingerprint: str, action: AlertAction) -> bool:
    """A close, down the pipeline as the alert resolved, then its note. False when KEY names no integration."""
    result = pipeline.ingest(KIND, key, [opsgenie.closed(fingerprint)])
    if result is None:
        return False
    if action.note:
        integration = access_integration(KIND, key)
        incident = incident_of(integration, fingerprint) if integration is not None else None
        if incident is not None:
            add_note(integration, incident, action)
    return True


def incident_of(integration: Integration, fingerprint: str) -> Incident | None:
    """The incident holding the alert FINGERPRINT of INTEGRATION: its firing row's, else its latest row's."""
    alert = (
        Alert.objects.filter(integration=integration, fingerprint=fingerprint, incident__isnull=False)
        .select_related("incident")
        .order_by("status", "-pk")  # "firing" before "resolved"
        .first()
    )
    return alert.incident if alert is not None else None


def acknowledge_alert(integration: Integration, fingerprint: str, action: AlertAction) -> Incident | None:
    """Acknowledge the incident holding the firing alert (acknowledge.py, as PagerDuty's acknowledge does),
    and add the request's note to the incident holding the alert. None if no incident holds it."""
    acknowledge.acknowledge_alert(integration, fingerprint)
    return note_alert(integration, fingerprint, action)


def note_alert(integration: Integration, fingerprint: str, action: AlertAction) -> Incident | None:
    """Add the request's note to the timeline of the incident holding the alert. None if none holds it."""
    incident = incident_of(integration, fingerprint)
    if incident is not None:
        add_note(integration, incident, action)
    return incident


def add_note(integration: Integration, incident: Incident, action: AlertAction) -> None:
    if action.note:
        do_add_note(services.actor_for(integration), incident, action.note_text())
