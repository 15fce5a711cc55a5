from django.apps import AppConfig


class ConfigCodeConfig(AppConfig):
    """Configuration as code (issue #22): YAML files planned and applied through every app's actions.

    A leaf like importers: it may use every app, and no app uses it. It is not part of importers
    because an import creates once and forgets, while config reconciles: it updates and deletes
    what it manages, on every apply, and remembers each object under the author's key."""

    name = "config_code"
    verbose_name = "Configuration as code"

    def ready(self) -> None:
        from . import marking

        marking.register()  # vigil.managed: which objects are config's, for every front door
