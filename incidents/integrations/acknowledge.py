"""An alert's sender says someone is on it: its incident is acknowledged (PagerDuty's `acknowledge`).

Through the one action, incidents.services.do_acknowledge, acting as the integration (actor_for), as
alerts open and resolve incidents: the timeline, the audit log and the signals are the same as for a
click on *Acknowledge*. Like PagerDuty, an acknowledge for an alert that is not firing, or whose
incident is no longer triggered, is accepted and changes nothing.
"""

from incidents.models import Alert, Incident, Integration, Status
from incidents.services import ActionError, do_acknowledge

from .services import actor_for


def acknowledge_alert(integration: Integration, fingerprint: str) -> Incident | None:
    """Acknowledge the triggered incident holding INTEGRATION's firing alert FINGERPRINT. The incident, or None."""
    alert = (
        Alert.objects.filter(integration=integration, fingerprint=fingerprint, status=Alert.Status.FIRING)
        .select_related("incident")
        .first()
    )
    if alert is None or alert.incident is None or alert.incident.status != Status.TRIGGERED:
        return None
    try:
        return do_acknowledge(actor_for(integration), alert.incident)
    except ActionError:  # acknowledged or resolved meanwhile: nothing left to do
        return None
