"""What incidents announce. comms, postmortems and dr_plans listen; incidents imports none of them.

Each signal is sent after the transaction that made the change commits, with
sender=Incident, incident=<Incident> and actor=<vigil.audit.Actor>.
incident_update_posted also carries update=<IncidentUpdate>; page_requested carries
page=<Page> (sender=Page) and is how the comms app delivers pages by SMS, voice and email.

incident_page_panels is sent while the incident page renders, with sender=Incident,
incident=<Incident> and request=<HttpRequest>; each receiver returns HTML (safe, rendered
from its own template) or "", shown at the top of the page's side column in order of
connection. A receiver that raises is logged and left out: the page still renders.
"""

from django.dispatch import Signal

incident_declared = Signal()
incident_acknowledged = Signal()
incident_status_changed = Signal()
incident_severity_changed = Signal()
incident_update_posted = Signal()
incident_resolved = Signal()
incident_reopened = Signal()
page_requested = Signal()
incident_page_panels = Signal()
