from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from vigil.roles import Role, assign_role, sync_roles


class Command(BaseCommand):
    help = "Load demo data: components, monitors, a stakeholder group and an on-call user. Safe to run again."

    @transaction.atomic
    def handle(self, **options):
        sync_roles()
        User = get_user_model()
        oncall, created = User.objects.get_or_create(
            username="oncall", defaults={"first_name": "Olive", "last_name": "Oncall", "email": "oncall@example.com"}
        )
        if created:
            oncall.set_unusable_password()
            oncall.save()
        assign_role(oncall, Role.RESPONDER)
        sam, created = User.objects.get_or_create(
            username="sam", defaults={"first_name": "Sam", "last_name": "Second", "email": "sam@example.com"}
        )
        if created:
            sam.set_unusable_password()
            sam.save()
        assign_role(sam, Role.RESPONDER)
        # Each app seeds its own data, in INSTALLED_APPS order (dependencies first),
        # through an optional AppConfig.seed_demo(): this command imports no app.
        for config in apps.get_app_configs():
            if hasattr(config, "seed_demo"):
                config.seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
