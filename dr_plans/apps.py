from django.apps import AppConfig


class DrPlansConfig(AppConfig):
    name = "dr_plans"
    verbose_name = "DR plans"
    responder_models: list[str] = []
