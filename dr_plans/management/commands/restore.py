from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dr_plans.selfbackup import BackupError, restore, secrets_to_rotate


class Command(BaseCommand):
    help = (
        "Replace Vigil's database with the backup in FILE (checked first to be a Vigil backup). "
        "Stop the web, worker and beat processes first. Afterwards, lists the stored secrets to rotate."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        # Django's own commands skip their question with --noinput (or --no-input); --yes is kept for old scripts.
        parser.add_argument(
            "--noinput", "--no-input", "--yes", action="store_false", dest="interactive", help="Do not ask first."
        )

    def handle(self, file: Path, interactive: bool, **options):
        if interactive and input(f"Replace the whole database with {file}? Type 'yes': ").strip() != "yes":
            raise CommandError("Cancelled.")
        try:
            restore(file)  # checks first that FILE is a Vigil backup: nothing is changed otherwise
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored from {file}. Everyone logs in again (sessions are not kept)."))
        self._list_secrets()

    def _list_secrets(self) -> None:
        found = secrets_to_rotate()
        if not found:
            return
        self.stdout.write(
            self.style.WARNING(
                "These secrets are back as they were when the backup was taken: any rotated or revoked since "
                "works again. Rotate them (all of them if the backup file may have been seen by others):"
            )
        )
        for secret, count in found:
            self.stdout.write(f"  - {count} {secret.what}: {secret.how}")
