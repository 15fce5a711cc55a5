"""`manage.py vigil_export [--out DIR]`: today's configuration as files, objects adopted under their keys."""

from pathlib import Path

from django.core.management.base import BaseCommand

from config_code.export import as_yaml, export


class Command(BaseCommand):
    help = (
        "Write the configuration (every kind config manages) as YAML, one file per "
        "section with --out, else to standard output. Each object is recorded under its key, so a plan "
        "of these files on this install shows no change."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", help="A directory to write teams.yaml, components.yaml... into.")

    def handle(self, *args, out=None, **options):
        sections = export()
        for monitor in sections["monitors"]:
            if monitor.get("headers"):  # where credentials go: never committed as they are
                self.stderr.write(
                    f"monitors.{monitor['key']}: request headers are written as they are; "
                    "put any secret in the environment and write ${env:NAME} instead before committing."
                )
        for integration in sections.get("integrations", []):
            self.stderr.write(
                f"integrations.{integration['key']}: its token is written as {integration['token']}: set that "
                "variable to the token (the integration's page shows it) where the files are applied, or delete "
                "the line to keep the token each install has."
            )
        if not out:
            self.stdout.write(as_yaml(sections), ending="")
            return
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        for name, items in sections.items():
            if items:
                (folder / f"{name}.yaml").write_text(as_yaml({name: items}), encoding="utf-8")
                self.stdout.write(f"Wrote {folder / name}.yaml ({len(items) if isinstance(items, list) else 1})")
