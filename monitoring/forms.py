"""Dashboard forms: a monitor's settings (one form, the fields its kind uses), the list's filters,
and a maintenance window."""

import json

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q

from incidents.models import Component

from .models import Monitor
from .services import SETTINGS_FIELDS

Kind = Monitor.Kind

# The settings each kind uses, grouped as the form shows them: (legend, fields).
GENERAL = ("Monitor", ["name", "component", "parents"])
ALERTING = ("When it is down", ["severity", "escalation_policy"])
PROBE_SCHEDULE = (
    "Schedule",
    ["interval_seconds", "timeout_seconds", "retry_interval_seconds", "failure_threshold", "recovery_threshold"],
)
KIND_GROUPS = {
    Kind.HTTP: [
        ("Request", ["target", "method", "headers", "body", "follow_redirects", "verify_tls"]),
        ("What counts as up", ["expected_status", "keyword", "keyword_absent", "degraded_after_ms"]),
        PROBE_SCHEDULE,
    ],
    Kind.TCP: [("Connection", ["target", "port"]), PROBE_SCHEDULE],
    Kind.TLS: [
        ("Certificate", ["target", "port", "warn_days", "fail_days", "check_hostname", "verify_tls"]),
        PROBE_SCHEDULE,
    ],
    Kind.DNS: [("Query", ["target", "record_type", "expected_value", "resolver"]), PROBE_SCHEDULE],
    Kind.HEARTBEAT: [("Expected pings", ["period_seconds", "grace_seconds", "cron", "cron_timezone"])],
}
TARGET_LABELS = {Kind.HTTP: "URL", Kind.TCP: "Host", Kind.TLS: "Host", Kind.DNS: "Domain name"}
TARGET_PLACEHOLDERS = {
    Kind.HTTP: "https://example.com/health",
    Kind.TCP: "db.internal",
    Kind.TLS: "example.com",
    Kind.DNS: "example.com",
}
LABELS = {
    "interval_seconds": "Check every (seconds)",
    "timeout_seconds": "Timeout (seconds)",
    "retry_interval_seconds": "Retry a failure after (seconds)",
    "failure_threshold": "Failures before down",
    "recovery_threshold": "Successes before up again",
    "degraded_after_ms": "Degraded above (ms)",
    "expected_status": "Expected status codes",
    "keyword_absent": "The keyword must be absent",
    "verify_tls": "Verify the certificate",
    "check_hostname": "Check the host name",
    "warn_days": "Warn when fewer days left",
    "fail_days": "Down when fewer days left",
    "period_seconds": "Period (seconds)",
    "grace_seconds": "Grace (seconds)",
    "cron": "Cron expression",
    "cron_timezone": "Time zone of the cron expression",
    "parents": "Depends on",
}


def fields_for(kind: str) -> list[str]:
    return [name for _, names in [GENERAL, *KIND_GROUPS[kind], ALERTING] for name in names]


class MonitorForm(forms.ModelForm):
    """A monitor's settings for one KIND: only the fields that kind uses are shown and validated.

    Validation is the model's (Monitor.clean runs the probe engine's own checks), so a message
    reads the same here, in the API and in the admin.
    """

    class Meta:
        model = Monitor
        fields = [name for name in SETTINGS_FIELDS if name != "kind"] + ["parents"]
        labels = LABELS
        widgets = {
            "headers": forms.Textarea(attrs={"rows": 3, "placeholder": '{"Accept": "text/html"}'}),
            "body": forms.Textarea(attrs={"rows": 3}),
            "parents": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.kind = kind
        self.instance.kind = kind
        shown = set(fields_for(kind))
        for name in list(self.fields):
            if name not in shown:
                del self.fields[name]
        if "target" in self.fields:
            self.fields["target"].required = True
            self.fields["target"].label = TARGET_LABELS[kind]
            self.fields["target"].widget.attrs["placeholder"] = TARGET_PLACEHOLDERS[kind]
            self.fields["target"].help_text = ""
        if kind in (Kind.TCP, Kind.TLS):
            self.fields["port"].required = kind == Kind.TCP
            self.fields["port"].widget.attrs["placeholder"] = "443" if kind == Kind.TLS else "5432"
        for name in ("method", "record_type"):  # GET and MX, as written, not Get and Mx
            if name in self.fields:
                self.fields[name].choices = [(value, value) for value, _ in self.fields[name].choices]
        others = Monitor.objects.only("pk", "name").order_by("name")
        self.fields["parents"].queryset = others.exclude(pk=self.instance.pk) if self.instance.pk else others

    def clean_headers(self):
        return self.cleaned_data["headers"] or {}  # an empty box means no headers

    def groups(self) -> list[tuple[str, list]]:
        """(legend, bound fields) for each fieldset of this kind's form."""
        return [
            (legend, [self[name] for name in names]) for legend, names in [GENERAL, *KIND_GROUPS[self.kind], ALERTING]
        ]

    def add_error(self, field, error):
        # Monitor.clean may blame a probe setting this kind's form does not show (the probe
        # engine's max_redirects, say): such a message goes to the top of the form.
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            errors = dict(error.error_dict)
            stray = [name for name in errors if name != NON_FIELD_ERRORS and name not in self.fields]
            if stray:
                general = errors.pop(NON_FIELD_ERRORS, [])
                for name in stray:
                    general += errors.pop(name)
                error = ValidationError({**errors, NON_FIELD_ERRORS: general})
        super().add_error(field, error)


class MonitorFilterForm(forms.Form):
    """The list's filters. An unknown value is ignored rather than an error: it came from a URL."""

    q = forms.CharField(required=False, label="Search", max_length=200)
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *Monitor.State.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Kind.choices])
    component = forms.ModelChoiceField(
        required=False, queryset=Component.objects.order_by("name"), empty_label="Any component"
    )

    def filter(self, monitors, search_targets: bool = True):
        """MONITORS narrowed by the valid filters. SEARCH_TARGETS: q matches targets too (only for those
        who may see them: vigil.privacy)."""
        self.is_valid()
        data = self.cleaned_data
        if data.get("q"):
            by_target = Q(target__icontains=data["q"]) if search_targets else Q(pk__in=[])
            monitors = monitors.filter(Q(name__icontains=data["q"]) | by_target)
        if data.get("state"):
            monitors = monitors.filter(state=data["state"])
        if data.get("kind"):
            monitors = monitors.filter(kind=data["kind"])
        if data.get("component"):
            monitors = monitors.filter(component=data["component"])
        return monitors


class MaintenanceForm(forms.Form):
    """A maintenance window for the monitor or its whole component. Times are the viewer's."""

    SCOPES = [("monitor", "This monitor"), ("component", "Every monitor of its component")]

    starts_at = forms.DateTimeField(label="Starts", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label="Ends", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    scope = forms.ChoiceField(choices=SCOPES, initial="monitor", widget=forms.RadioSelect, label="Applies to")
    reason = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, monitor: Monitor, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.monitor = monitor
        if not monitor.component_id:
            self.fields["scope"].choices = self.SCOPES[:1]

    def window(self) -> dict:
        """Keyword arguments for services.do_add_maintenance."""
        data = self.cleaned_data
        target = {"component": self.monitor.component} if data["scope"] == "component" else {"monitor": self.monitor}
        return {**target, "starts_at": data["starts_at"], "ends_at": data["ends_at"], "reason": data["reason"]}


def settings_summary(monitor: Monitor) -> list[tuple[str, str]]:
    """(label, value) for each setting MONITOR's kind uses, as the monitor's page lists them."""
    summary = []
    for _, names in [*KIND_GROUPS[monitor.kind], ALERTING]:
        for name in names:
            field = Monitor._meta.get_field(name)
            label = TARGET_LABELS.get(monitor.kind) if name == "target" else LABELS.get(name)
            value = getattr(monitor, name)
            if field.choices and name not in ("method", "record_type"):  # GET and MX, not Get and Mx
                value = getattr(monitor, f"get_{name}_display")()
            elif isinstance(value, bool):
                value = "yes" if value else "no"
            elif value in (None, "", {}):
                value = "—"
            elif isinstance(value, dict):
                value = json.dumps(value)
            summary.append((label or field.verbose_name.capitalize(), str(value)))
    return summary
