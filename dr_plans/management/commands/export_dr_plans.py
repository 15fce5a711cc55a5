from pathlib import Path

from django.core.management.base import BaseCommand

from dr_plans.export import export_all


class Command(BaseCommand):
    help = "Write every approved DR plan as Markdown into DIR: the copy to keep for the day Vigil is down."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, directory: Path, **options):
        written = export_all(directory)
        for path in written:
            self.stdout.write(str(path))
        self.stdout.write(self.style.SUCCESS(f"{len(written)} plan(s) written to {directory}."))
