"""What Vigil watches: monitors, their check results, state history, rollups and maintenance windows.

A Monitor holds its probe's settings in typed columns; `probe()` turns them into one of the probe
engine's frozen configs (vigil_probes), whose checks are also the model's validation, so a
bad value gets the same message in the admin, the dashboard form and the API.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from incidents.models import Severity
from vigil_probes import BrowserProbe, DnsProbe, HttpProbe, Probe, ProbeConfigError, TcpProbe, TlsProbe

from .models_agents import Location
from .models_browser import BrowserRun  # noqa: F401  (a model of this app, defined beside)

MIN_INTERVAL_SECONDS = 10
# How many recent outcomes a monitor remembers to judge flapping (one character each).
OUTCOME_MEMORY = 20


class RedundancyGroup(models.Model):
    """Replicas of one thing (two regions, two load balancers): monitors that stand in for each other.

    Redundancy is only what a person declared here. Monitors that merely share a component are
    independent: each opens its own incident (monitoring.alerting). Losing some members of a group
    opens one low-severity "redundancy lost" incident for the group; losing all of them raises it.
    """

    name = models.CharField(max_length=120, unique=True, help_text='What the replicas are, e.g. "API replicas".')
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Monitor(models.Model):
    class Kind(models.TextChoices):
        HTTP = "http", "HTTP(S)"
        TCP = "tcp", "TCP"
        TLS = "tls", "TLS certificate"
        DNS = "dns", "DNS"
        BROWSER = "browser", "Browser steps"
        HEARTBEAT = "heartbeat", "Heartbeat"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        UP = "up", "Up"
        DEGRADED = "degraded", "Degraded"
        DOWN = "down", "Down"
        PAUSED = "paused", "Paused"
        MAINTENANCE = "maintenance", "In maintenance"

    class Method(models.TextChoices):
        GET = "GET"
        HEAD = "HEAD"
        POST = "POST"
        PUT = "PUT"
        PATCH = "PATCH"
        DELETE = "DELETE"
        OPTIONS = "OPTIONS"

    class RecordType(models.TextChoices):
        A = "A"
        AAAA = "AAAA"
        CNAME = "CNAME"
        MX = "MX"
        TXT = "TXT"

    name = models.CharField(max_length=100)
    team = models.ForeignKey(
        "incidents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="monitors",
        help_text="The team that owns this: its responders may change it.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.HTTP)
    target = models.CharField(
        max_length=2000,
        blank=True,
        help_text="The URL (HTTP, browser), host (TCP, TLS) or domain name (DNS). Empty for heartbeats.",
    )
    component = models.ForeignKey(
        "incidents.Component", null=True, blank=True, on_delete=models.SET_NULL, related_name="monitors"
    )
    redundancy_group = models.ForeignKey(
        RedundancyGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="monitors",
        help_text="Replicas this monitor stands in for. While some are up, a member down is only "
        '"redundancy lost"; all down is an outage. Without a group, the monitor is on its own.',
    )
    locations = models.ManyToManyField(
        Location,
        blank=True,
        related_name="monitors",
        help_text="Where the monitor is checked from; none chosen means every location.",
    )
    parents = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="children",
        help_text="Monitors this one depends on. While a parent is down, this monitor's failures join "
        "the parent's incident instead of opening their own.",
    )

    # Schedule and confirmation
    interval_seconds = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(MIN_INTERVAL_SECONDS), MaxValueValidator(86400)]
    )
    retry_interval_seconds = models.PositiveIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text="How soon a failed check is retried to confirm it.",
    )
    failure_threshold = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Consecutive failed checks before the monitor is down.",
    )
    recovery_threshold = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Consecutive good checks before a down monitor is up again.",
    )
    timeout_seconds = models.FloatField(default=10.0, validators=[MinValueValidator(0.1), MaxValueValidator(60)])
    # Confirmation across locations (monitoring.confirmation): only for a monitor checked from several.
    confirm_locations = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="How many of its locations must see it down before it is down (fewer make it degraded); "
        "empty means a majority of those reporting.",
    )
    confirm_window_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(10), MaxValueValidator(86400)],
        help_text="How recent a location's last check must be to count; empty means two intervals plus the timeout.",
    )

    # What a confirmed down opens
    severity = models.CharField(
        max_length=4,
        choices=Severity.choices,
        default=Severity.SEV2,
        help_text="Severity of the incident a down opens.",
    )
    escalation_policy = models.ForeignKey(
        "incidents.EscalationPolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who is paged when this monitor opens an incident.",
    )

    # HTTP(S)
    method = models.CharField(max_length=7, choices=Method.choices, default=Method.GET)
    headers = models.JSONField(default=dict, blank=True, help_text='Request headers, e.g. {"Accept": "text/html"}.')
    body = models.TextField(blank=True, help_text="Request body.")
    expected_status = models.CharField(max_length=100, default="200-299", help_text="e.g. 200-299, 301 or 2xx.")
    keyword = models.CharField(max_length=500, blank=True, help_text="Text the response body must contain.")
    keyword_absent = models.BooleanField(default=False, help_text="Fail when the keyword appears instead.")
    degraded_after_ms = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Latency above which the monitor is degraded.",
    )
    follow_redirects = models.BooleanField(default=True)
    verify_tls = models.BooleanField(default=True, help_text="Check the certificate chain (HTTPS and TLS).")

    # TCP and TLS
    port = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    # TLS certificate
    warn_days = models.PositiveIntegerField(default=21, help_text="Degraded when fewer days are left.")
    fail_days = models.PositiveIntegerField(default=7, help_text="Down when fewer days are left.")
    check_hostname = models.BooleanField(default=True)
    # DNS
    record_type = models.CharField(max_length=5, choices=RecordType.choices, default=RecordType.A)
    expected_value = models.CharField(max_length=500, blank=True, help_text="A value that must be among the answers.")
    resolver = models.CharField(max_length=60, blank=True, help_text="Resolver IP[:port]; empty for the system's.")

    # Browser: declared steps run in Chromium after opening the target (vigil_probes.steps)
    steps = models.JSONField(
        default=list,
        blank=True,
        help_text='What to do after opening the URL, e.g. [{"click": "#login"}, {"expect_text": "Welcome"}].',
    )

    # Heartbeat (push)
    ping_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    period_seconds = models.PositiveIntegerField(
        default=3600, validators=[MinValueValidator(MIN_INTERVAL_SECONDS)], help_text="Expected time between pings."
    )
    grace_seconds = models.PositiveIntegerField(default=300, help_text="How late a ping may be before it is down.")
    cron = models.CharField(max_length=100, blank=True, help_text="A cron expression instead of a period.")
    cron_timezone = models.CharField(max_length=64, default="UTC")
    last_ping_at = models.DateTimeField(null=True, blank=True)
    last_start_at = models.DateTimeField(null=True, blank=True)

    # State, kept by monitoring.state
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING, db_index=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_reason = models.CharField(max_length=300, blank=True)
    flapping = models.BooleanField(default=False)
    consecutive_failures = models.PositiveIntegerField(default=0)
    consecutive_successes = models.PositiveIntegerField(default=0)
    recent_outcomes = models.CharField(
        max_length=OUTCOME_MEMORY, blank=True, help_text="Newest last: u up, d degraded, x failed."
    )
    next_check_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_latency_ms = models.FloatField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_failure_reason = models.CharField(max_length=300, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The open incident this monitor's outage opened or joined.",
    )

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        # Admins only (the roles give responders change_monitor, not this): the ping URL is a credential.
        permissions = [("rotate_ping_url", "Can give a heartbeat a new ping URL")]
        indexes = [
            # The dispatcher's one query: due, not paused.
            models.Index(fields=["next_check_at"], name="monitor_due_idx", condition=~Q(state="paused")),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("monitoring:detail", args=[self.pk])

    @property
    def is_heartbeat(self) -> bool:
        return self.kind == self.Kind.HEARTBEAT

    @property
    def is_up(self) -> bool:
        return self.state in (self.State.UP, self.State.DEGRADED)

    @property
    def ping_url(self) -> str:
        return reverse("ping", args=[self.ping_token])

    # Probe settings by kind: model field for each probe config field (for error messages).
    PROBE_FIELDS = {
        "url": "target",
        "host": "target",
        "name": "target",
        "ca_pem": "target",
        "timeout": "timeout_seconds",
        "expected": "expected_value",
        "verify_chain": "verify_tls",
    }

    def probe(self) -> Probe | None:
        """The probe engine's config for this monitor (None for heartbeats); ProbeConfigError if invalid."""
        timeout = float(self.timeout_seconds)
        match self.kind:
            case self.Kind.HTTP:
                return HttpProbe(
                    url=self.target,
                    method=self.method,
                    headers=self.headers or {},
                    body=self.body,
                    expected_status=self.expected_status,
                    keyword=self.keyword,
                    keyword_absent=self.keyword_absent,
                    degraded_after_ms=self.degraded_after_ms,
                    follow_redirects=self.follow_redirects,
                    max_redirects=10 if self.follow_redirects else 0,
                    timeout=timeout,
                    verify_tls=self.verify_tls,
                )
            case self.Kind.TCP:
                if self.port is None:
                    raise ProbeConfigError("port", "is required for a TCP monitor")
                return TcpProbe(host=self.target, port=self.port, timeout=timeout)
            case self.Kind.TLS:
                return TlsProbe(
                    host=self.target,
                    port=self.port or 443,
                    warn_days=self.warn_days,
                    fail_days=self.fail_days,
                    check_hostname=self.check_hostname and self.verify_tls,
                    verify_chain=self.verify_tls,
                    timeout=timeout,
                )
            case self.Kind.DNS:
                return DnsProbe(
                    name=self.target,
                    record_type=self.record_type,
                    expected=self.expected_value,
                    resolver=self.resolver,
                    timeout=min(timeout, 30.0),
                )
            case self.Kind.BROWSER:
                return BrowserProbe(
                    url=self.target, steps=self.steps or [], timeout=timeout, degraded_after_ms=self.degraded_after_ms
                )
        return None

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.is_heartbeat:
            if self.cron:
                from .heartbeat_schedule import check_cron

                try:
                    check_cron(self.cron, self.cron_timezone)
                except ValueError as exc:
                    errors.setdefault(getattr(exc, "field", "cron"), []).append(str(exc))
        else:
            if not self.target:
                errors["target"] = [f"A {self.get_kind_display()} monitor needs a target."]
            else:
                try:
                    self.probe()
                except ProbeConfigError as exc:
                    field = self.PROBE_FIELDS.get(exc.field, exc.field)
                    errors.setdefault(field, []).append(exc.message[:1].upper() + exc.message[1:] + ".")
        if errors:
            raise ValidationError(errors)


class CheckResult(models.Model):
    """One check of one monitor. Raw results are kept for VIGIL_RESULT_RETENTION_DAYS, then purged;
    the rollups keep their figures for good."""

    class Outcome(models.IntegerChoices):
        UP = 0, "Up"
        DEGRADED = 1, "Degraded"
        DOWN = 2, "Down"

    id = models.BigAutoField(primary_key=True)
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results", db_index=False)
    checked_at = models.DateTimeField()
    outcome = models.PositiveSmallIntegerField(choices=Outcome.choices)
    latency_ms = models.FloatField(null=True)
    status_code = models.PositiveSmallIntegerField(null=True)
    reason = models.CharField(max_length=300, blank=True)
    # Empty for the central install's own checks. No index yet: results are read per monitor; the
    # per-location figures of issue #21 will add (monitor, location, checked_at).
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE, db_index=False)

    class Meta:
        ordering = ["-checked_at"]
        indexes = [
            models.Index(fields=["monitor", "-checked_at"], name="result_monitor_time_idx"),
            models.Index(fields=["checked_at"], name="result_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.checked_at:%Y-%m-%d %H:%M:%S} {self.get_outcome_display()}"

    @property
    def ok(self) -> bool:
        return self.outcome != self.Outcome.DOWN


class StateChange(models.Model):
    """A monitor's move from one state to another: its state history, and the source of downtime."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="state_changes", db_index=False)
    at = models.DateTimeField(default=timezone.now)
    from_state = models.CharField(max_length=12, choices=Monitor.State.choices)
    to_state = models.CharField(max_length=12, choices=Monitor.State.choices)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["monitor", "-at"], name="statechange_monitor_time_idx"),
            # Rolling up an hour reads the changes of every monitor in it.
            models.Index(fields=["at"], name="statechange_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.monitor_id}: {self.from_state} -> {self.to_state} at {self.at:%Y-%m-%d %H:%M:%S}"


class Rollup(models.Model):
    """A monitor's figures for one hour or one day. Kept for good; uptime figures read these."""

    class Period(models.TextChoices):
        HOUR = "hour", "Hour"
        DAY = "day", "Day"

    id = models.BigAutoField(primary_key=True)
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="rollups", db_index=False)
    period = models.CharField(max_length=4, choices=Period.choices)
    start = models.DateTimeField()
    checks = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    degraded = models.PositiveIntegerField(default=0)
    monitored_seconds = models.FloatField(default=0, help_text="Time watched: not paused, not in maintenance.")
    downtime_seconds = models.FloatField(default=0, help_text="Time spent down within the monitored time.")
    latency_p50_ms = models.FloatField(null=True)
    latency_p95_ms = models.FloatField(null=True)
    latency_max_ms = models.FloatField(null=True)
    latency_histogram = models.JSONField(default=dict, help_text="Check counts per latency bucket, to merge hours.")

    class Meta:
        ordering = ["monitor", "period", "-start"]
        constraints = [models.UniqueConstraint(fields=["monitor", "period", "start"], name="rollup_once")]
        # Uptime bars and reports read one period's rollups of many monitors over a span.
        indexes = [models.Index(fields=["period", "start"], name="rollup_period_start_idx")]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.period} {self.start:%Y-%m-%d %H:%M}"

    @property
    def uptime(self) -> float | None:
        if not self.monitored_seconds:
            return None
        return max(0.0, 1 - self.downtime_seconds / self.monitored_seconds)


class MaintenanceWindow(models.Model):
    """A planned window for a monitor or a whole component: checks go on, alerts do not."""

    monitor = models.ForeignKey(
        Monitor, null=True, blank=True, on_delete=models.CASCADE, related_name="maintenance_windows"
    )
    component = models.ForeignKey(
        "incidents.Component", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(monitor__isnull=False) | Q(component__isnull=False), name="maintenance_has_a_target"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="maintenance_ends_after_start"),
        ]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="maintenance_time_idx")]

    def __str__(self) -> str:
        return f"Maintenance of {self.monitor or self.component} from {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if not self.monitor_id and not self.component_id:
            raise ValidationError("Choose a monitor or a component.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The window must end after it starts."})
        if self.starts_at and self.ends_at and self.ends_at - self.starts_at > timedelta(days=31):
            raise ValidationError({"ends_at": "A window lasts at most 31 days."})

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.starts_at <= at < self.ends_at
