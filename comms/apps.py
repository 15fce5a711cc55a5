from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "comms"
    verbose_name = "Communications"
    responder_models: list[str] = []

    def seed_demo(self) -> None:
        from .demo import seed

        seed()
