from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = "Post-mortems"
    # What a responder may add and change (vigil.roles); deleting an action item is an admin's.
    responder_models = ["postmortem", "postmortemtimelineentry", "postmortemreview", "actionitem"]

    def ready(self) -> None:
        # incidents sits above this app in INSTALLED_APPS: it announces, this app listens.
        from incidents import providers
        from incidents import signals as incident_signals

        from . import receivers, services

        incident_signals.incident_resolved.connect(services.on_incident_resolved, dispatch_uid="postmortems.draft")
        incident_signals.incident_page_panels.connect(receivers.incident_page_panel, dispatch_uid="postmortems.panel")
        # Action items, for the apps beside this one (a DR drill's findings), which never import it.
        providers.file_action_item.register(services.do_create_action_item)
        providers.action_items_linked.register(receivers.action_items_linked)
        providers.action_item_choices.register(receivers.action_item_choices)
        from . import status_page  # noqa: F401 (its receivers: the public summary on the status page)

    def seed_demo(self) -> None:
        from .demo import seed

        seed()
