from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yml"


class Command(BaseCommand):
    help = "Print the Slack app manifest with this install's address (VIGIL_BASE_URL) and command filled in."

    def handle(self, **options):
        text = MANIFEST.read_text()
        text = text.replace("https://vigil.example.com", settings.VIGIL_BASE_URL)
        text = text.replace("- command: /vigil", f"- command: {settings.VIGIL_SLACK_COMMAND}")
        self.stdout.write(text, ending="")
