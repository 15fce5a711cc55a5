"""The public status page's own models: scheduled maintenance and the page's branding.

Everything else the page shows (components, incidents, public updates) belongs to incidents;
comms.status reads it and renders only what is public into a snapshot.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_email
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac


class MaintenanceStatus(models.TextChoices):
    """Statuspage's scheduled-maintenance statuses."""

    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    VERIFYING = "verifying", "Verifying"
    COMPLETED = "completed", "Completed"


# The one table of allowed moves, checked by comms.status.services before any change.
MAINTENANCE_TRANSITIONS: dict[str, set[str]] = {
    MaintenanceStatus.SCHEDULED: {MaintenanceStatus.IN_PROGRESS},
    MaintenanceStatus.IN_PROGRESS: {MaintenanceStatus.VERIFYING, MaintenanceStatus.COMPLETED},
    MaintenanceStatus.VERIFYING: {MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED},
    MaintenanceStatus.COMPLETED: set(),
}
# While in these, the maintenance's components are under maintenance and their monitors raise no alerts.
ACTIVE_MAINTENANCE = [MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING]


class ScheduledMaintenanceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_MAINTENANCE)

    def upcoming(self):
        return self.filter(status=MaintenanceStatus.SCHEDULED)

    def due(self, now):
        """Those beat must move now: scheduled ones whose window began, running ones whose window ended."""
        starting = Q(status=MaintenanceStatus.SCHEDULED, starts_at__lte=now)
        ending = Q(status__in=ACTIVE_MAINTENANCE, ends_at__lte=now)
        return self.filter(starting | ending)


class ScheduledMaintenance(models.Model):
    """Planned work on some components: announced on the status page, alerts held during the window."""

    title = models.CharField(max_length=200)
    message = models.TextField(help_text="What customers read: what is done, and what they may notice.")
    components = models.ManyToManyField("incidents.Component", related_name="scheduled_maintenances")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=MaintenanceStatus.choices, default=MaintenanceStatus.SCHEDULED, db_index=True
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScheduledMaintenanceQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="scheduled_maintenance_order"),
        ]
        # comms.status.tasks.advance_maintenances looks for due rows by status and time every few seconds.
        indexes = [models.Index(fields=["status", "starts_at", "ends_at"], name="maintenance_due_idx")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The window must end after it starts."})

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_MAINTENANCE

    def can_move_to(self, status: str) -> bool:
        return status in MAINTENANCE_TRANSITIONS[self.status]


class MaintenanceUpdate(models.Model):
    """A public line in a maintenance's story (Statuspage's incident_updates of a maintenance)."""

    maintenance = models.ForeignKey(ScheduledMaintenance, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=12, choices=MaintenanceStatus.choices)
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.message[:60]}"


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour as #rrggbb.")


def default_page_id() -> str:
    """Stable for an install (from SECRET_KEY) before the branding row is ever saved; kept once it is."""
    return salted_hmac("vigil.status.page_id", "page").hexdigest()[:12]


def validate_public_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"{value!r} is not an http(s) address.")


DEFAULT_NAME = "Status"


def status_label(name: str) -> str:
    """What the page is called in a message: "Acme" -> "Acme status"; a name that says it already
    ("Acme Status", or the default "Status") is left alone, so nothing reads "Status status"."""
    name = " ".join(name.split()) or DEFAULT_NAME
    return name if name.casefold().endswith("status") else f"{name} status"


def updates_label(name: str) -> str:
    """ "Acme status updates", "Acme Status updates", "Status updates": never "Status status updates"."""
    return f"{status_label(name)} updates"


class StatusPageBranding(models.Model):
    """The one row of the page's name, look and contacts. Edited by admins; load() makes it on first use."""

    name = models.CharField(max_length=100, default=DEFAULT_NAME, help_text="The page's name, in its title and header.")
    page_id = models.CharField(
        max_length=32, default=default_page_id, help_text="The page's id in the Statuspage-compatible JSON."
    )
    logo_url = models.URLField(blank=True, validators=[validate_public_url], help_text="An image shown in the header.")
    accent_colour = models.CharField(max_length=7, default="#3056d3", validators=[hex_colour])
    footer_links = models.TextField(
        blank=True, help_text="One link a line: label | https://address (say, Terms | https://example.com/terms)."
    )
    support_contact = models.CharField(
        max_length=200, blank=True, help_text="An email address or an http(s) address where customers get help."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "status page branding"
        verbose_name_plural = "status page branding"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="status_branding_singleton")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "StatusPageBranding":
        """The row, made on first use (for editing)."""
        branding, _ = cls.objects.get_or_create(pk=1)
        return branding

    @classmethod
    def current(cls) -> "StatusPageBranding":
        """The row, or the defaults when nobody has saved one (for reading: writes nothing)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @classmethod
    def is_set_up(cls) -> bool:
        """Whether anyone has saved the branding (the first admin's setup step, or the branding page)."""
        return cls.objects.filter(pk=1).exists()

    @property
    def status_label(self) -> str:
        return status_label(self.name)

    @property
    def updates_label(self) -> str:
        return updates_label(self.name)

    def clean(self) -> None:
        try:
            self.links()
        except ValidationError as exc:
            raise ValidationError({"footer_links": exc.messages}) from exc
        self.support_link()

    def links(self) -> list[tuple[str, str]]:
        """[(label, url)] from footer_links; raises ValidationError on a bad line."""
        links = []
        for number, line in enumerate(self.footer_links.splitlines(), start=1):
            if not line.strip():
                continue
            label, bar, url = line.partition("|")
            if not bar or not label.strip():
                raise ValidationError(f"Line {number}: write it as label | https://address.")
            try:
                validate_public_url(url.strip())
            except ValidationError as exc:
                raise ValidationError(f"Line {number}: {exc.messages[0]}") from exc
            links.append((label.strip(), url.strip()))
        return links

    def support_link(self) -> str:
        """The support contact as a link target (mailto: or http(s)), "" when none."""
        contact = self.support_contact.strip()
        if not contact:
            return ""
        if "@" in contact and "/" not in contact:
            try:
                validate_email(contact)
            except ValidationError as exc:
                raise ValidationError({"support_contact": "Not a valid email address."}) from exc
            return f"mailto:{contact}"
        try:
            validate_public_url(contact)
        except ValidationError as exc:
            raise ValidationError({"support_contact": "Give an email address or an http(s) address."}) from exc
        return contact
