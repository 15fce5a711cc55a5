"""`manage.py vigil_plan FILES...`: what applying would change. Exit 0 nothing, 2 changes, 1 errors
(as `terraform plan -detailed-exitcode`), so CI can gate on it."""

import sys

from django.core.management.base import BaseCommand

from config_code.files import add_file_arguments, read_files
from config_code.loader import load
from config_code.plan import make_plan
from config_code.text import render

NO_CHANGES, ERRORS, CHANGES = 0, 1, 2


class Command(BaseCommand):
    help = "Show what applying the configuration files would create, update and delete."

    def add_arguments(self, parser):
        add_file_arguments(parser)

    def handle(self, *args, files, prune, **options):
        plan = make_plan(load(read_files(files)), prune=prune)
        self.stdout.write(render(plan))
        sys.exit(ERRORS if plan.errors else CHANGES if plan.changes else NO_CHANGES)
