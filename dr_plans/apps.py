from django.apps import AppConfig


class DrPlansConfig(AppConfig):
    name = "dr_plans"
    verbose_name = "DR plans"
    # What a responder may add and change (vigil.roles): drills and incident checklists are run
    # by responders; plans, backups and contacts are an admin's, and approving is an admin's or
    # the plan's named approver's (dr_plans.services.check_can_approve).
    responder_models = ["drill", "drillstep", "incidentchecklist", "checklistitem"]

    def ready(self) -> None:
        from incidents import signals

        from . import receivers

        signals.incident_page_panels.connect(receivers.incident_page_panel, dispatch_uid="dr_plans.incident_panel")

    def seed_demo(self) -> None:
        from .demo import seed

        seed()
