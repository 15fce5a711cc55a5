from django.core.management.base import BaseCommand, CommandError

from importers.base import SourceError
from importers.plan_text import plan_lines, result_lines
from importers.sources import IMPORTERS, PLANNED


class Command(BaseCommand):
    help = (
        "Import monitors and components from another tool. --dry-run prints the plan (what will be "
        "created, what maps approximately, what cannot map and why) and writes nothing. A real run "
        "creates each object in its own transaction, skips what an earlier run imported, and exits "
        "non-zero when any object failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", choices=[*IMPORTERS, *PLANNED], help="The tool to import from.")
        parser.add_argument("--dry-run", action="store_true", help="Print the plan; write nothing.")
        parser.add_argument(
            "--instance",
            default="default",
            help="Which installation of the tool, when importing from several (remembered per instance).",
        )
        for importer in IMPORTERS.values():
            importer.add_arguments(parser)

    def handle(self, source, dry_run, **options):
        if source not in IMPORTERS:
            raise CommandError(f"Importing from {source} is not written yet; available: {', '.join(IMPORTERS)}.")
        importer = IMPORTERS[source](**options)
        try:
            plan = importer.plan()
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        for line in plan_lines(plan, dry_run):
            self.stdout.write(line)
        if dry_run:
            if plan.invalid:
                raise CommandError(f"{len(plan.invalid)} objects would fail (listed above).")
            return
        result = importer.apply(plan)
        for line in result_lines(result):
            self.stdout.write(line)
        if result.errors:
            raise CommandError(f"{len(result.errors)} objects were not imported (listed above).")
