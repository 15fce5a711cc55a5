from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    # What a responder may add and change (vigil.roles); components are an admin's.
    responder_models = ["incident", "incidentevent", "incidentupdate", "incidentcomponent", "override", "swaprequest"]

    def ready(self) -> None:
        # Tombstones for alerts and incidents that stop firing (post_save/post_delete receivers).
        from .integrations import repeats  # noqa: F401

    def seed_demo(self) -> None:
        from .demo import seed

        seed()
