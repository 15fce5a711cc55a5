from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    # Monitors are configuration: admins edit them; responders pause and resume (later issue).
    responder_models: list[str] = []

    def seed_demo(self) -> None:
        from .demo import seed

        seed()
