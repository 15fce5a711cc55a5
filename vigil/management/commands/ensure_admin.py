import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from vigil.roles import Role, assign_role


class Command(BaseCommand):
    help = "Create the first admin user if there is none, and print its login once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, username, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("Admin: an admin account exists already (its password was shown at the first run).")
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=username, email="", password=password)
        assign_role(user, Role.ADMIN)
        self.stdout.write(f"Admin login (shown once): username {username}  password {password}")
