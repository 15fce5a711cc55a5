from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    # What a responder may add and change (vigil.roles); components are an admin's.
    responder_models = ["incident", "incidentevent", "incidentupdate", "incidentcomponent", "override", "swaprequest"]
    # What a responder manages for their own teams only (vigil.ownership): never a shared object, never
    # an integration (its token is a credential) and never a deletion of a whole schedule or policy.
    team_permissions = [
        "change_component",
        "change_schedule",
        "add_rotation",
        "change_rotation",
        "delete_rotation",
        "change_escalationpolicy",
        "add_escalationlevel",
        "change_escalationlevel",
        "delete_escalationlevel",
    ]

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .integrations import receivers
        from .integrations.changes import incident_page_panel
        from .models import Alert, Incident, Integration
        from .signals import incident_page_panels, incident_resolved

        # Tombstones for alerts and incidents that stop firing, and new generations for changed
        # integrations: repeats buffered in Redis must not be counted against them.
        incident_resolved.connect(receivers.on_incident_resolved, dispatch_uid="integrations.incident_resolved")
        post_delete.connect(
            receivers.on_incident_deleted, sender=Incident, dispatch_uid="integrations.incident_deleted"
        )
        post_save.connect(receivers.on_alert_saved, sender=Alert, dispatch_uid="integrations.alert_saved")
        for signal in (post_save, post_delete):
            signal.connect(receivers.on_integration_changed, sender=Integration, dispatch_uid="integrations.changed")
        # The incident page's Recent changes: change events of its components' integrations.
        incident_page_panels.connect(incident_page_panel, dispatch_uid="integrations.recent_changes")
        # What teams own here, and who may act on an incident (vigil.ownership).
        from . import ownership

        ownership.register()

    def seed_demo(self) -> None:
        from .demo import seed

        seed()
