from django.apps import AppConfig


class DrPlansConfig(AppConfig):
    name = "dr_plans"
    verbose_name = "DR plans"
    # What a responder may add and change (vigil.roles): drills and incident checklists are run
    # by responders; plans, backups and contacts are an admin's, and approving is an admin's or
    # the plan's named approver's (dr_plans.services.can_approve).
    responder_models = ["drill", "drillstep", "incidentchecklist", "checklistitem"]
    # What a responder manages for their own teams' plans only (vigil.ownership).
    team_permissions = [
        "change_drplan",
        "add_step",
        "change_step",
        "delete_step",
        "add_calltreelevel",
        "delete_calltreelevel",
    ]

    def ready(self) -> None:
        # incidents sits above this app in INSTALLED_APPS: it may use it, never the reverse; the apps beside
        # this one (comms, postmortems) it meets only through incidents (issue #16).
        from incidents import links
        from incidents import signals as incident_signals
        from vigil import ownership

        from . import receivers, signals
        from .models import CallTreeLevel, Drill, DRPlan, Step

        ownership.register(DRPlan, "team")
        ownership.register(Step, "plan__team")
        ownership.register(CallTreeLevel, "plan__team")

        incident_signals.incident_page_panels.connect(
            receivers.incident_page_panel, dispatch_uid="dr_plans.incident_panel"
        )
        # A drill's findings become action items (source: the drill); an item can target a plan.
        links.sources.register(Drill, "DR drill")
        links.targets.register(DRPlan, "DR plan")
        incident_signals.action_item_saved.connect(receivers.flag_targeted_plan, dispatch_uid="dr_plans.flag_plan")
        for signal, receiver in (
            (signals.review_due, receivers.mail_review_due),
            (signals.review_requested, receivers.mail_review_requested),
            (signals.drill_scheduled, receivers.mail_drill_participants),
        ):
            signal.connect(receiver, dispatch_uid=f"dr_plans.{receiver.__name__}")

    def seed_demo(self) -> None:
        from .demo import seed

        seed()
