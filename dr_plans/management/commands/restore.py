from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dr_plans.selfbackup import BackupError, restore


class Command(BaseCommand):
    help = "Replace Vigil's database with the backup in FILE. Stop the web, worker and beat processes first."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, file: Path, yes: bool, **options):
        if not yes and input(f"Replace the whole database with {file}? Type 'yes': ").strip() != "yes":
            raise CommandError("Cancelled.")
        try:
            restore(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored from {file}."))
