from django.apps import AppConfig


class VigilConfig(AppConfig):
    name = "vigil"
    verbose_name = "Vigil system"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import roles, signals  # noqa: F401  (connects the audit receivers)

        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="vigil.sync_roles")
