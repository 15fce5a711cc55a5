from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    # Monitors are configuration: admins create and delete them. Responders plan maintenance
    # windows and hold change_monitor, to pause, resume and test a monitor during an incident
    # (vigil.roles). That permission also lets them edit settings: pausing already silences a
    # monitor entirely, so editing adds no power to hide an outage, and every edit is audited.
    # Responders also add mentions by hand and answer, ignore and link them (monitoring.reputation).
    responder_models: list[str] = ["maintenancewindow", "mention"]
    responder_permissions: list[str] = ["change_monitor"]

    def ready(self) -> None:
        from vigil.metrics import register

        from . import rollup_tasks  # noqa: F401  (beat's roll-up and purge tasks)
        from .metrics import MonitoringCollector

        register(MonitoringCollector())

        from incidents.signals import incident_page_panels

        from .reputation import tasks as reputation_tasks  # noqa: F401  (beat's feed polling and spike detection)
        from .reputation.receivers import incident_page_panel

        incident_page_panels.connect(incident_page_panel, dispatch_uid="monitoring.reputation.incident_page_panel")

    def seed_demo(self) -> None:
        from .demo import seed

        seed()
