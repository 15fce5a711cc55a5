from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "comms"
    verbose_name = "Communications"
    # What a responder may add and change (vigil.roles): who hears an incident, and their own paging rules.
    responder_models = ["incidentaudience", "notificationrule", "contact"]
    # Retrying failed messages by hand is a responder's job during an incident.
    responder_permissions = ["retry_notification"]
    # What a responder manages for their own teams only (vigil.ownership): who hears about the team's incidents.
    team_permissions = ["change_stakeholdergroup"]

    def ready(self) -> None:
        from incidents import signals
        from vigil import ownership

        from .models import StakeholderGroup

        ownership.register(StakeholderGroup, "team")

        from . import checks, failover, receivers  # noqa: F401 (checks and failover register themselves)

        signals.incident_update_posted.connect(receivers.on_update_posted, dispatch_uid="comms.update_posted")
        signals.page_requested.connect(receivers.on_page_requested, dispatch_uid="comms.page_requested")
        signals.incident_page_panels.connect(receivers.incident_page_panel, dispatch_uid="comms.incident_panel")
        signals.update_audience.connect(receivers.update_audience, dispatch_uid="comms.update_audience")
        signals.incident_figures.connect(receivers.incident_figures, dispatch_uid="comms.incident_figures")

        # Mail other apps send through the outbox, asked for through incidents (they never import comms).
        from incidents import providers

        from . import services

        providers.email_people.register(services.notify_people)
        providers.email_group_members.register(services.notify_group_members)
        from . import urgency

        providers.unpageable.register(urgency.unpageable)  # the on-call pages' "cannot be paged" warnings

        # The public status page (comms.status): rebuilt on changes; its tasks and admin; maintenance by responders.
        from .status import admin, setup, tasks, triggers  # noqa: F401 (admin and tasks register themselves)

        triggers.connect()
        setup.connect()  # the first admin's sign-in asks for the page's name and logo
        self.responder_models = [*self.responder_models, "scheduledmaintenance"]

    def seed_demo(self) -> None:
        from .demo import seed

        seed()
