"""What incidents announce. comms, postmortems and dr_plans listen; incidents imports none of them.

Each signal is sent after the transaction that made the change commits, with
sender=Incident, incident=<Incident> and actor=<vigil.audit.Actor>.
"""

from django.dispatch import Signal

incident_declared = Signal()
incident_acknowledged = Signal()
incident_status_changed = Signal()
incident_resolved = Signal()
