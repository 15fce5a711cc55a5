from django.apps import AppConfig


class ReputationConfig(AppConfig):
    name = "reputation"
    verbose_name = "Reputation watch"
    # Responders add mentions by hand and answer, ignore and link them (vigil.roles).
    responder_models: list[str] = ["mention"]

    def ready(self) -> None:
        from incidents import signals

        from . import receivers, tasks  # noqa: F401  (tasks: beat's feed polling and spike detection)

        signals.incident_page_panels.connect(
            receivers.incident_page_panel, dispatch_uid="reputation.incident_page_panel"
        )
        signals.incident_figures.connect(receivers.incident_figures, dispatch_uid="reputation.incident_figures")
        signals.incident_detection.connect(receivers.incident_detection, dispatch_uid="reputation.incident_detection")
