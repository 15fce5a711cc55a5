from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from vigil.audit import Actor
from vigil.services import do_create_api_key


class Command(BaseCommand):
    help = "Create an API key for USERNAME and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'alertmanager'.")

    def handle(self, username, name, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        _, raw = do_create_api_key(Actor(via="cli"), user, name)
        self.stdout.write(raw)
