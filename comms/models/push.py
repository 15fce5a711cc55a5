"""Web Push (issue #19): the browsers a responder turned push on in, and the install's VAPID key pair.

A PushSubscription is what the browser's PushManager.subscribe() gave: the push service's endpoint URL
(a per-device secret: whoever holds it, with the keys, can push to that device) and the keys that
encrypt each message to it (RFC 8291). Its owner sees its host and label only; nobody else sees it.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone


class PushSubscription(models.Model):
    """One browser on one device that may receive USER's pages (comms.channels.webpush)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200, help_text="The browser's P-256 public key, base64url")
    auth = models.CharField(max_length=100, help_text="The browser's 16-byte auth secret, base64url")
    label = models.CharField(max_length=100, blank=True, help_text="Which device, from its user agent")
    created_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user}: {self.label or 'a browser'} ({self.host})"

    @property
    def host(self) -> str:
        """The push service's host (fcm.googleapis.com, updates.push.services.mozilla.com...): all that is shown."""
        return urlsplit(self.endpoint).hostname or ""

    def subscription_info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class VapidKey(models.Model):
    """The install's one VAPID key pair (RFC 8292), made on first use (comms.push.vapid).

    In the database, not in VIGIL_VAR_DIR beside the development SECRET_KEY: web (which hands the
    public key to browsers) and every worker (which signs with the private key) must hold the same pair,
    and only the database is shared by all of them on every deployment. A new pair would orphan every
    subscription (push services refuse a key other than the one the browser subscribed with).
    """

    singleton = models.PositiveSmallIntegerField(primary_key=True, default=1)
    private_key = models.TextField(help_text="PEM (PKCS#8)")
    public_key = models.CharField(max_length=100, help_text="Uncompressed P-256 point, base64url")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(singleton=1), name="vapid_key_singleton")]

    def __str__(self) -> str:
        return f"VAPID key of {self.created_at:%Y-%m-%d}"
