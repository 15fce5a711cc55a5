"""Where a responder's ntfy pages go: a server, a topic and, for a protected topic, an access token.

A topic on a public server works like a password (whoever knows it may subscribe), and the token is a
credential to the person's ntfy account: both are shown in full only to their person and to admins
(vigil.privacy), the token never read back (write-only in the admin) and never logged.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from vigil import http


def default_server() -> str:
    return settings.VIGIL_NTFY_DEFAULT_SERVER


# ntfy's own rule for topic names.
validate_topic = RegexValidator(r"^[-_A-Za-z0-9]{1,64}$", "Letters, digits, - and _ only, at most 64.")


class NtfyTarget(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ntfy")
    server = models.URLField(default=default_server, help_text="https://ntfy.sh, or your own ntfy server.")
    topic = models.CharField(max_length=64, blank=True, validators=[validate_topic], help_text="Hard to guess.")
    token = models.CharField(
        max_length=200, blank=True, help_text="An access token (tk_...), for a protected topic; blank if none."
    )

    class Meta:
        verbose_name = "ntfy target"

    def __str__(self) -> str:
        return f"{self.user}: ntfy"

    def clean(self) -> None:
        try:
            http.parse(self.server)  # as the sending client reads it; the address is checked at each send
        except http.RefusedURL as exc:
            raise ValidationError({"server": str(exc)}) from None

    @property
    def server_url(self) -> str:
        """The server's root, where ntfy takes JSON messages (POST /, the topic in the body)."""
        return self.server.rstrip("/") + "/"
