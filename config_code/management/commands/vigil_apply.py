"""`manage.py vigil_apply FILES... [--prune]`: make Vigil what the files say, in one transaction."""

from django.core.management.base import BaseCommand, CommandError

from config_code.apply import ConfigInvalid, apply_files
from config_code.files import add_file_arguments, read_files
from config_code.text import render


class Command(BaseCommand):
    help = "Apply the configuration files through Vigil's actions (audit log via=config), all or nothing."

    def add_arguments(self, parser):
        add_file_arguments(parser)

    def handle(self, *args, files, prune, **options):
        try:
            plan = apply_files(read_files(files), prune=prune)
        except ConfigInvalid as exc:
            raise CommandError(render(exc.plan)) from exc
        self.stdout.write(render(plan).replace("Plan: ", "Applied: ", 1))
