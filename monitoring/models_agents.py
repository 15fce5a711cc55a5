"""Where checks run from (issue #21): the central install is one Location, each probe agent another.

An agent proves who it is with a token shown once, when the location is made; only its SHA-256
is stored (like API keys, vigil.models.ApiKey), so a copy of the database lets no one pose as an
agent. A revoked location keeps its row and its results, and its agent gets a 401 that says so.
"""

import hashlib
import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone

TOKEN_PREFIX = "vga_"  # noqa: S105 (a prefix, no secret: it tells an agent token from an API key)


class Location(models.Model):
    name = models.CharField(max_length=60, unique=True, help_text='Where checks run from, e.g. "eu-west-dc2".')
    region = models.CharField(max_length=60, blank=True, help_text='e.g. "eu-west"; free text, for people.')
    is_central = models.BooleanField(default=False, help_text="The Vigil install itself (its probe workers).")
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    token_prefix = models.CharField(max_length=12, blank=True, editable=False, help_text="To tell tokens apart.")
    last_seen_at = models.DateTimeField(null=True, blank=True)
    version = models.CharField(max_length=40, blank=True, help_text="The agent's version, as it last reported it.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_central", "name"]
        constraints = [
            # One central location: "this install" must mean one row (monitoring.dispatch relies on it).
            models.UniqueConstraint(fields=["is_central"], condition=Q(is_central=True), name="one_central_location"),
            # Token lookups (monitoring.api.agent.AgentTokenAuthentication) go through this index.
            models.UniqueConstraint(fields=["token_hash"], condition=~Q(token_hash=""), name="location_token_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def new_token(self) -> str:
        """Give the location a fresh token and return it (to be shown once); the caller saves."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.token_hash = self.hash_token(token)
        self.token_prefix = token[:10]
        return token

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
