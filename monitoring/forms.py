"""Dashboard forms: a monitor's settings on one page, the list's filters, and a maintenance window.

The monitor form shows what is needed to start first (kind, name, target, interval) and folds the
rest into sections that open when they hold an error. Headers are rows of name and value, checked
by the probe engine's own rule (an RFC 7230 token, no line break in a value).

Every input carries the server's limits: numbers get min and max from the model's validators, so the
browser refuses what the server would (an interval under 10 s). Text inputs carry no maxlength,
since a browser cuts a paste to it without a word: an over-long value is refused with a message
(data-maxlength lets static/monitors.js say so before the form is sent). After a failed post the
first field in error is focused (autofocus), which scrolls the page to it, script or no script.
"""

import json
from dataclasses import dataclass

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q

from incidents.models import Component
from vigil_probes import ProbeConfigError
from vigil_probes.config import _normalize_headers as check_header_pairs  # the probe engine's own header rule

from .models import Location, Monitor, RedundancyGroup
from .services import SETTINGS_FIELDS

Kind = Monitor.Kind

# What a monitor needs to start, by kind: shown first, never folded.
ESSENTIALS = {
    Kind.HTTP: ["name", "target", "interval_seconds"],
    Kind.TCP: ["name", "target", "port", "interval_seconds"],
    Kind.TLS: ["name", "target", "port", "interval_seconds"],
    Kind.DNS: ["name", "target", "record_type", "interval_seconds"],
    Kind.BROWSER: ["name", "target", "steps", "interval_seconds"],
    Kind.HEARTBEAT: ["name", "period_seconds", "grace_seconds"],
}
# The rest, folded: (legend, fields). HEADERS marks where the HTTP header rows go.
HEADERS = "headers"
CHECKS = (
    "Timeouts and retries",
    ["timeout_seconds", "retry_interval_seconds", "failure_threshold", "recovery_threshold"],
)
ALERTING = ("When it is down", ["severity", "escalation_policy"])
RELATIONS = (
    "Team, component, replicas and dependencies",
    ["team", "component", "redundancy_group", "new_redundancy_group", "parents"],
)
# Probe agents (monitoring.locations) and the K-of-N rule (monitoring.confirmation).
WHERE = ("Where it is checked from", ["locations", "confirm_locations", "confirm_window_seconds"])
SECTIONS = {
    Kind.HTTP: [
        ("Request", ["method", HEADERS, "body", "follow_redirects", "verify_tls"]),
        ("What counts as up", ["expected_status", "keyword", "keyword_absent", "degraded_after_ms"]),
        CHECKS,
        WHERE,
    ],
    Kind.TCP: [CHECKS, WHERE],
    Kind.TLS: [("Certificate", ["warn_days", "fail_days", "check_hostname", "verify_tls"]), CHECKS, WHERE],
    Kind.DNS: [("Query", ["expected_value", "resolver"]), CHECKS, WHERE],
    Kind.BROWSER: [("What counts as up", ["degraded_after_ms"]), CHECKS, WHERE],
    Kind.HEARTBEAT: [("Cron schedule", ["cron", "cron_timezone"])],
}
KIND_HELP = {
    Kind.HTTP: "A web page or API answers with the expected status, body and speed.",
    Kind.TCP: "A port accepts connections (a database, a mail server).",
    Kind.TLS: "A certificate is trusted and far enough from expiry.",
    Kind.DNS: "A name resolves, optionally to an expected value.",
    Kind.BROWSER: "A page works in Chromium: steps fill, click and expect text, each one timed.",
    Kind.HEARTBEAT: "A job (a backup, a cron task) pings Vigil when it runs; silence means down.",
}
TARGET_LABELS = {
    Kind.HTTP: "URL",
    Kind.TCP: "Host",
    Kind.TLS: "Host",
    Kind.DNS: "Domain name",
    Kind.BROWSER: "Start URL",
}
TARGET_PLACEHOLDERS = {
    Kind.HTTP: "https://example.com/health",
    Kind.TCP: "db.internal",
    Kind.TLS: "example.com",
    Kind.DNS: "example.com",
    Kind.BROWSER: "https://shop.example.com/login",
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
    "locations": "Locations",
    "confirm_locations": "Locations that must agree it is down",
    "confirm_window_seconds": "A location counts if it checked within (seconds)",
    "redundancy_group": "Replica of",
    "steps": "Steps (JSON)",
}
STEPS_HELP = (
    'A list of steps, each one of {"goto": url}, {"fill": selector, "value": text}, {"click": selector}, '
    '{"wait_for_selector": selector}, {"wait_for_text": text}, {"expect_text": text}, {"expect_status": 200}, '
    'with an optional "name". Write a password as ${secret:NAME} (VIGIL_BROWSER_SECRETS).'
)
MAX_HEADERS = 50


def _fields_of(sections) -> list[str]:
    return [name for _, names in sections for name in names if name != HEADERS]


def fields_for(kind: str) -> list[str]:
    """The settings the form for KIND shows, in the order it shows them."""
    return [*ESSENTIALS[kind], *_fields_of([*SECTIONS[kind], ALERTING, RELATIONS])]


class Limits:
    """Inputs that carry the server's limits, and a focus on the first error (see the module's docstring)."""

    def carry_limits(self, model=None) -> None:
        for name, field in self.fields.items():
            attrs = field.widget.attrs
            if "maxlength" in attrs:
                attrs["data-maxlength"] = attrs.pop("maxlength")
            model_field = _model_field(model, name)
            if model_field is None or not isinstance(field, forms.IntegerField | forms.FloatField):
                continue
            lows = [v.limit_value for v in model_field.validators if isinstance(v, MinValueValidator)]
            highs = [v.limit_value for v in model_field.validators if isinstance(v, MaxValueValidator)]
            if lows:
                attrs["min"] = max(lows)
            if highs:
                attrs["max"] = min(highs)

    def fields_in_order(self) -> list:
        return list(self)

    def focus_first_error(self) -> None:
        """Give the first field in error autofocus: the browser focuses it and scrolls it into view."""
        for bound in self.fields_in_order():
            if bound.errors:
                bound.field.widget.attrs["autofocus"] = True
                return


def _model_field(model, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


class HeaderRow(Limits, forms.Form):
    """One request header. A row left empty is no header."""

    name = forms.CharField(required=False, max_length=100, label="Header name")
    value = forms.CharField(required=False, max_length=2000, label="Header value")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.carry_limits()
        self.fields["name"].widget.attrs.update({"placeholder": "Accept", "aria-label": "Header name"})
        self.fields["value"].widget.attrs.update({"placeholder": "text/html", "aria-label": "Header value"})

    def clean(self):
        data = super().clean()
        name, value = data.get("name", ""), data.get("value", "")
        if value and not name:
            self.add_error("name", "A header needs a name.")
        elif name:
            # One rule for the form and the probe: the engine's own check, of the name, then of the value.
            for field, pair in (("name", (name, "")), ("value", (name, value))):
                try:
                    check_header_pairs([pair])
                except ProbeConfigError as exc:
                    self.add_error(field, exc.message[:1].upper() + exc.message[1:] + ".")
                    break
        return data


class BaseHeaderRows(forms.BaseFormSet):
    def clean(self):
        seen = set()
        for row in self.forms:
            name = (row.cleaned_data or {}).get("name", "")
            if name and name.lower() in seen:
                row.add_error("name", f"{name} is set twice: keep one row for it.")
            seen.add(name.lower())

    def headers(self) -> dict[str, str]:
        return {
            row.cleaned_data["name"]: row.cleaned_data["value"] for row in self.forms if row.cleaned_data.get("name")
        }


HeaderRows = forms.formset_factory(
    HeaderRow, formset=BaseHeaderRows, extra=1, max_num=MAX_HEADERS, absolute_max=MAX_HEADERS, validate_max=True
)


@dataclass
class Section:
    legend: str
    fields: list  # bound fields
    header_rows: "forms.BaseFormSet | None" = None

    @property
    def has_errors(self) -> bool:
        rows = self.header_rows
        row_errors = rows is not None and rows.is_bound and (any(rows.errors) or rows.non_form_errors())
        return any(field.errors for field in self.fields) or bool(row_errors)


class MonitorForm(Limits, forms.ModelForm):
    """A monitor's settings for one KIND: only the fields that kind uses are shown and validated.

    Validation is the model's (Monitor.clean runs the probe engine's own checks), so a message
    reads the same here, in the API and in the admin. Headers come from the rows; a post without
    rows (no management form) leaves a monitor's headers as they are.
    """

    new_redundancy_group = forms.CharField(
        required=False,
        max_length=RedundancyGroup._meta.get_field("name").max_length,
        label="or a new group of replicas named",
        help_text="Monitors in one group stand in for each other: one down is only “redundancy lost”.",
    )

    class Meta:
        model = Monitor
        fields = [name for name in SETTINGS_FIELDS if name not in ("kind", "headers")] + ["parents", "locations"]
        labels = LABELS
        widgets = {
            "body": forms.Textarea(attrs={"rows": 3}),
            "steps": forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
            "parents": forms.SelectMultiple(attrs={"size": 6}),
            "locations": forms.CheckboxSelectMultiple,
        }

    def __init__(self, data=None, *args, kind: str, **kwargs):
        # Ids of its own: a page may carry another form with a "name" field (a banner, say).
        kwargs.setdefault("auto_id", "monitor_%s")
        super().__init__(data, *args, label_suffix="", **kwargs)
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
        if "steps" in self.fields:
            self.fields["steps"].help_text = STEPS_HELP
        if kind in (Kind.TCP, Kind.TLS):
            self.fields["port"].required = kind == Kind.TCP
            self.fields["port"].widget.attrs["placeholder"] = "443" if kind == Kind.TLS else "5432"
        for name in ("method", "record_type"):  # GET and MX, as written, not Get and Mx
            if name in self.fields:
                self.fields[name].choices = [(value, value) for value, _ in self.fields[name].choices]
        others = Monitor.objects.only("pk", "name").order_by("name")
        self.fields["parents"].queryset = others.exclude(pk=self.instance.pk) if self.instance.pk else others
        self.fields["redundancy_group"].empty_label = "None: this monitor stands alone"
        if "locations" in self.fields:
            self._where_from(Location.objects.filter(revoked_at__isnull=True))
        self.carry_limits(Monitor)
        self.header_rows = None
        if kind == Kind.HTTP:
            initial = [{"name": name, "value": value} for name, value in (self.instance.headers or {}).items()]
            sent = data is not None and "headers-TOTAL_FORMS" in data
            # Bound rows get no initial: a row equal to its initial would count as unchanged and be dropped.
            self.header_rows = (
                HeaderRows(data, prefix="headers") if sent else HeaderRows(prefix="headers", initial=initial)
            )

    def clean_steps(self):
        return self.cleaned_data.get("steps") or []  # an empty box is no steps: open the page only

    def _where_from(self, locations) -> None:
        """Where it is checked from: asked only once there is somewhere besides the central install."""
        if not any(not location.is_central for location in locations):
            for name in WHERE[1]:
                del self.fields[name]
            return
        self.fields["locations"].queryset = locations
        self.fields["locations"].help_text = "None chosen: every location (the central install and each agent)."

    def is_valid(self) -> bool:
        rows_valid = self.header_rows is None or not self.header_rows.is_bound or self.header_rows.is_valid()
        return super().is_valid() and rows_valid

    def clean(self):
        data = super().clean()
        rows = self.header_rows
        if rows is not None and rows.is_bound and rows.is_valid():
            # Before the model's validation (_post_clean), so the probe engine checks these headers.
            self.instance.headers = rows.headers()
        if data.get("redundancy_group") and data.get("new_redundancy_group"):
            self.add_error("new_redundancy_group", "Choose a group above or name a new one, not both.")
        return data

    def settings(self) -> dict:
        """The settings for services.do_create_monitor / do_update_monitor (headers when rows were sent)."""
        settings = {name: value for name, value in self.cleaned_data.items() if name != "new_redundancy_group"}
        if self.header_rows is not None and self.header_rows.is_bound:
            settings["headers"] = self.header_rows.headers()
        return settings

    def essentials(self) -> list:
        return [self[name] for name in ESSENTIALS[self.kind]]

    def sections(self) -> list[Section]:
        """The folded sections of this kind's form, each opened when it holds an error."""
        sections = []
        for legend, names in [*SECTIONS[self.kind], ALERTING, RELATIONS]:
            names = [name for name in names if name in self.fields or name == HEADERS]
            if not names:
                continue
            rows = self.header_rows if HEADERS in names else None
            sections.append(Section(legend, [self[name] for name in names if name != HEADERS], rows))
        return sections

    def fields_in_order(self) -> list:
        ordered = list(self.essentials())
        for section in self.sections():
            ordered += section.fields
            if section.header_rows is not None and section.header_rows.is_bound:
                ordered += [bound for row in section.header_rows.forms for bound in row]
        return ordered

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


class MaintenanceForm(Limits, forms.Form):
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
        self.carry_limits()

    def window(self) -> dict:
        """Keyword arguments for services.do_add_maintenance."""
        data = self.cleaned_data
        target = {"component": self.monitor.component} if data["scope"] == "component" else {"monitor": self.monitor}
        return {**target, "starts_at": data["starts_at"], "ends_at": data["ends_at"], "reason": data["reason"]}


def _shown(value) -> str:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "; ".join(f"{name}: {text}" for name, text in value.items()) or "—"
    return str(value)


def settings_summary(monitor: Monitor) -> list[tuple[str, str]]:
    """(label, value) for each setting MONITOR's kind uses, as the monitor's page lists them."""
    summary = []
    essentials = [name for name in ESSENTIALS[monitor.kind] if name != "name"]
    for name in essentials + [name for _, names in [*SECTIONS[monitor.kind], ALERTING] for name in names]:
        field = Monitor._meta.get_field(name)
        label = TARGET_LABELS.get(monitor.kind) if name == "target" else LABELS.get(name)
        value = getattr(monitor, name)
        if field.choices and name not in ("method", "record_type"):  # GET and MX, not Get and Mx
            value = getattr(monitor, f"get_{name}_display")()
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif value in (None, "", {}):
            value = "—"
        summary.append((label or field.verbose_name.capitalize(), _shown(value)))
    return summary
