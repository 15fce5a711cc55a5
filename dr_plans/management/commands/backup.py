from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dr_plans.selfbackup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up Vigil's database to FILE (pg_dump custom format on PostgreSQL, a consistent copy on SQLite). "
        "The file is readable by its owner only and holds no sessions; it does hold Vigil's stored secrets."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, file: Path, **options):
        try:
            backup(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backed up to {file} ({file.stat().st_size} bytes, mode 0600)."))
