"""Alerts pushed in by other tools, each through an integration with its own secret URL."""

import json
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .incidents import Severity


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Integration(models.Model):
    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
        GRAFANA = "grafana", "Grafana Alerting"
        GENERIC = "generic", "Generic JSON"
        # Drop-in APIs (issue #17): senders wired to PagerDuty or Opsgenie change only the URL and key.
        PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
        OPSGENIE = "opsgenie", "Opsgenie Alert API"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    team = models.ForeignKey(
        "incidents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="integrations",
        help_text="The team that owns this: its responders may change it.",
    )
    # The secret in the URL is the credential: the sender knows no user or API key.
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    enabled = models.BooleanField(default=True)
    severity = models.CharField(
        max_length=4, choices=Severity.choices, default=Severity.SEV2, help_text="For alerts that name none."
    )
    components = models.ManyToManyField("incidents.Component", blank=True, related_name="integrations")
    escalation_policy = models.ForeignKey(
        "incidents.EscalationPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="integrations"
    )
    auto_resolve = models.BooleanField(default=True, help_text="Resolve the incident when its last alert resolves.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def get_absolute_url(self) -> str:
        return reverse("integrations:detail", args=[self.pk])

    @property
    def keyed_by_body(self) -> bool:
        """PagerDuty's and Opsgenie's senders post to one URL and name the integration by a key
        (routing_key in the body, GenieKey in a header); the others post to a URL holding the token."""
        return self.kind in (self.Kind.PAGERDUTY, self.Kind.OPSGENIE)

    def get_ingest_path(self) -> str:
        if self.kind == self.Kind.PAGERDUTY:
            return reverse("pagerduty:enqueue")
        if self.kind == self.Kind.OPSGENIE:
            return "/"  # the sender's api_url: it appends v2/alerts (opsgenie_urls.py)
        return reverse("integrations:ingest", args=[self.kind, self.token])

    def get_ingest_url(self) -> str:
        """The full URL to give the sender. It holds the secret (or goes with it): show it to admins only."""
        return settings.VIGIL_BASE_URL + self.get_ingest_path()

    def get_masked_ingest_url(self) -> str:
        """The URL with the secret hidden, for those who may not see it."""
        return self.get_ingest_url().replace(self.token, "•" * 8)

    def sender_settings(self) -> list[tuple[str, str]]:
        """What to give the sender, as (setting, value): the URL, and the key where the format has one."""
        if self.kind == self.Kind.PAGERDUTY:
            return [("url (Events API v2)", self.get_ingest_url()), ("routing_key", self.token)]
        if self.kind == self.Kind.OPSGENIE:
            return [("api_url", self.get_ingest_url()), ("api_key (GenieKey)", self.token)]
        return [("URL", self.get_ingest_url())]


class Alert(models.Model):
    """One alert from one integration, by fingerprint. A firing row is unique per fingerprint."""

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(max_length=200)
    group_key = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.FIRING)
    title = models.CharField(max_length=300)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    source_url = models.URLField(max_length=1000, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    received_count = models.PositiveIntegerField(default=1)
    last_received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_received_at"]
        constraints = [
            # One firing alert per fingerprint and integration: the alert services rely on
            # this when two identical payloads arrive at once.
            models.UniqueConstraint(
                fields=["integration", "fingerprint"],
                condition=Q(status="firing"),
                name="alert_one_firing_per_fingerprint",
            ),
        ]
        indexes = [models.Index(fields=["incident", "status"], name="alert_incident_status_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def links(self) -> list[dict]:
        """The sender's links (PagerDuty's `links`, kept as JSON in the `links` annotation), as
        [{href, text}] for the incident page. Only http(s) ones: any integration may send a
        `links` annotation, and the page must never render a javascript: URL."""
        return [
            {"href": item["href"], "text": _text(item.get("text")) or item["href"]}
            for item in _json_list(self.annotations.get("links"))
            if _is_web(item.get("href"))
        ]

    @property
    def images(self) -> list[dict]:
        """The sender's images (PagerDuty's `images`: [{src, href, alt}]) as links [{href, text}]
        to HREF, or SRC without one. Shown as links, never embedded: an external image would tell
        a third party every responder's address (and the CSP forbids it)."""
        images = []
        for item in _json_list(self.annotations.get("images")):
            href = item.get("href") if _is_web(item.get("href")) else item.get("src")
            if _is_web(href) and _is_web(item.get("src")):
                images.append({"href": href, "text": _text(item.get("alt")) or href})
        return images


def _json_list(value) -> list[dict]:
    try:
        items = json.loads(value) if isinstance(value, str) else []
    except ValueError:
        return []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _is_web(url) -> bool:
    return isinstance(url, str) and url.startswith(("http://", "https://"))


def _text(value) -> str:
    return value if isinstance(value, str) else ""
