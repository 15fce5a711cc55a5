from django.core.management.base import BaseCommand, CommandError

from monitoring.locations import do_create_location
from monitoring.models import Location
from vigil.audit import Actor


class Command(BaseCommand):
    help = "Create a probe agent location and print its agent token once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("name", help='Where the agent runs, e.g. "eu-west-dc2".')
        parser.add_argument("--region", default="", help='e.g. "eu-west".')

    def handle(self, name, region, **options):
        if Location.objects.filter(name=name).exists():
            raise CommandError(f"A location named {name!r} exists already.")
        _, token = do_create_location(Actor(via="cli"), name, region)
        self.stdout.write(token)
