"""What the database changed by other paths voids the Redis markers that relied on it (buffer.py).

Connected in IncidentsConfig.ready().
"""

from . import buffer


def on_incident_resolved(sender, incident, **kwargs) -> None:
    buffer.forget_incident(incident.pk)  # sent after commit: on_commit runs it at once


def on_incident_deleted(sender, instance, **kwargs) -> None:
    buffer.forget_incident(instance.pk)


def on_alert_saved(sender, instance, created, **kwargs) -> None:
    if not created:  # an edit in the admin; the ingest paths change alerts with update() or SQL
        buffer.forget_alerts([instance.pk])


def on_integration_changed(sender, instance, created=False, **kwargs) -> None:
    if not created:  # saved or deleted: its token's markers and cached copies are void
        buffer.forget_token(instance.token)
