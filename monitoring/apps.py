from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    # Monitors are configuration: admins create and delete them. Responders plan maintenance
    # windows and hold change_monitor, to pause, resume and test a monitor during an incident
    # (vigil.roles). That permission also lets them edit settings: pausing already silences a
    # monitor entirely, so editing adds no power to hide an outage, and every edit is audited.
    responder_models: list[str] = ["maintenancewindow"]
    # Teams own monitors (vigil.ownership): change_monitor reaches only their team's monitors and shared ones.
    responder_permissions: list[str] = ["change_monitor"]

    def ready(self) -> None:
        from vigil import ownership
        from vigil.metrics import register

        from .models import Monitor

        ownership.register(Monitor, "team")

        from . import rollup_tasks  # noqa: F401  (beat's roll-up and purge tasks)
        from .metrics import MonitoringCollector

        register(MonitoringCollector())
        _plug_in_the_probe_address_rule()

        # What the apps beside monitoring ask for through incidents, which they import instead (issue #16).
        from incidents import providers, signals

        from . import receivers, uptime

        providers.component_uptime.register(uptime.component_seconds)
        providers.monitored_since.register(receivers.monitored_since)
        providers.annotate_component_monitors.register(receivers.annotate_component_monitors)
        providers.noisiest_monitors.register(receivers.noisiest_monitors)
        signals.incident_detection.connect(receivers.incident_detection, dispatch_uid="monitoring.incident_detection")

    def seed_demo(self) -> None:
        from .demo import seed

        seed()


def _plug_in_the_probe_address_rule() -> None:
    """The engine (vigil_probes) reads no settings: give it the install's allow-list, read afresh
    at each batch so a changed setting (or a test's override) applies at once."""
    from django.conf import settings

    from vigil import net
    from vigil_probes import browser, safety

    safety.use_default_policy(lambda: net.policy(tuple(settings.VIGIL_PROBE_ALLOWED_NETWORKS)))
    # Browser checks: the Chromium to launch, and the values of ${secret:NAME} in their steps.
    browser.use_chromium(settings.VIGIL_CHROMIUM_PATH)
    browser.use_secrets(lambda: settings.VIGIL_BROWSER_SECRETS)
