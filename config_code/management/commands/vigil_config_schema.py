"""`manage.py vigil_config_schema`: write docs/config.schema.json from the definitions (--check: fail if stale)."""

from django.core.management.base import BaseCommand, CommandError

from config_code.schema import SCHEMA_PATH, json_schema_text


class Command(BaseCommand):
    help = "Write the configuration files' JSON Schema to docs/config.schema.json."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Only check that the committed file is current.")

    def handle(self, *args, check, **options):
        text = json_schema_text()
        if check:
            if not SCHEMA_PATH.exists() or SCHEMA_PATH.read_text() != text:
                raise CommandError(f"{SCHEMA_PATH} is stale: run manage.py vigil_config_schema")
            return
        SCHEMA_PATH.write_text(text)
        self.stdout.write(f"Wrote {SCHEMA_PATH}")
