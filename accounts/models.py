"""What SCIM provisioning keeps: the identity provider's groups, and its id for each person it manages."""

import uuid

from django.conf import settings
from django.db import models


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
