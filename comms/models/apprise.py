"""A responder's own Apprise URL, for pages by Apprise (PageMedium.APPRISE)."""

from django.conf import settings
from django.db import models

from comms.apprise_urls import validate_apprise_url


class AppriseTarget(models.Model):
    """Where Apprise pages USER: a secret (a bot token, a webhook key), shown in full only to its owner and to
    admins (vigil.privacy), written in Django's admin and never read back there."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="apprise_target")
    url = models.CharField(
        max_length=500,
        validators=[validate_apprise_url],
        help_text="An Apprise URL: tgram://bottoken/chatid, discord://id/token, json://host/path ...",
    )
    label = models.CharField(max_length=100, blank=True, help_text="What it is, e.g. 'Telegram'.")

    def __str__(self) -> str:
        return f"{self.user}: {self.label or 'Apprise'}"
