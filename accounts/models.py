"""What SCIM provisioning keeps (the identity provider's groups, and its id for each person it manages),
and teams' service keys for automation."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from vigil.models import HashedKey

from .scopes import WRITABLE_KINDS


def new_scim_id() -> str:
    return uuid.uuid4().hex


class ScimGroup(models.Model):
    """A group as the identity provider pushes it (Okta's push groups, Entra ID's assigned groups).

    Its members' roles and teams follow VIGIL_SSO_GROUP_MAP by display name, exactly as the groups
    claim does at sign-in (accounts.mapping): accounts.services.do_sync_scim_groups re-applies them
    after every change."""

    scim_id = models.CharField(max_length=64, unique=True, default=new_scim_id, editable=False)
    display_name = models.CharField(max_length=254, unique=True)
    external_id = models.CharField(max_length=254, blank=True, db_index=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="scim_groups")

    class Meta:
        ordering = ["display_name"]
        verbose_name = "SCIM group"

    def __str__(self) -> str:
        return self.display_name


class ScimAccount(models.Model):
    """The provider's own id (externalId) of a person it provisions; the person keeps Django's User."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim_account")
    external_id = models.CharField(max_length=254, blank=True, db_index=True)

    class Meta:
        verbose_name = "SCIM account"

    def __str__(self) -> str:
        return f"SCIM account of {self.user}"


class ServiceKey(HashedKey, models.Model):
    """A team's API key for automation (`vgs_...`), acting as a service account of its own (USER).

    The account is what the rest of Vigil sees: it is a member of the team, so team ownership checks
    apply to it as to a person; it holds the viewer role plus add and change of the kinds the key may
    write (accounts.scopes), never more; it has no password and no email, so it cannot sign in, and
    it is left out of every list of people (vigil.people.people: not picked, paged or put on call).
    The audit log names it, so what a script did reads as done by that key.

    Only the key's SHA-256 is stored, as for personal keys (vigil.models.ApiKey): it is shown once.
    A key always expires. Deleting the team keeps the row (SET_NULL: the record of who made it and
    what it could do survives) and ends the key at once: a key without a team is refused.
    """

    PREFIX = "vgs_"

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read, and write the chosen kinds"

    team = models.ForeignKey("incidents.Team", on_delete=models.SET_NULL, null=True, related_name="service_keys")
    name = models.CharField(max_length=100)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_key")
    prefix = models.CharField(max_length=16, editable=False)
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    # Model labels ("monitoring.monitor") from accounts.scopes.WRITABLE_KINDS; empty for a read key.
    kinds = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="service_keys_created"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "service key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def refusal(self, now=None) -> str:
        """Why the key cannot be used now ("" if it can): the 401's message, so the caller knows which."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "This service key was revoked."
        if self.expires_at <= now:
            return f"This service key expired on {self.expires_at:%Y-%m-%d %H:%M} UTC."
        if self.team_id is None:
            return "This service key's team was deleted."
        return ""

    @property
    def is_active(self) -> bool:
        return not self.refusal()

    @property
    def kind_labels(self) -> list[str]:
        """What the key may write, as people read it ("Monitors")."""
        return [WRITABLE_KINDS.get(kind, kind) for kind in self.kinds]
