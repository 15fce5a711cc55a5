import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from . import messages, templating
from .models import Medium, Notification, Part, Stakeholder, StakeholderGroup, State
from .phones import to_e164

MAX_CSV_BYTES = 5 * 1024 * 1024


class ImportForm(forms.Form):
    """The CSV comes as a file the first time, then as the text the preview carried back."""

    file = forms.FileField(required=False, help_text="UTF-8 CSV with a header row.")
    text = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_CSV_BYTES:
                raise forms.ValidationError(f"The file is over {MAX_CSV_BYTES // 1024 // 1024} MB.")
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError("The file is not UTF-8 text.") from None
        if not data.get("text"):
            raise forms.ValidationError("Choose a CSV file.")
        return data


class AudienceForm(forms.Form):
    groups = forms.ModelMultipleChoiceField(
        queryset=StakeholderGroup.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )


class OutboxFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Any state"), *State.choices], required=False)
    channel = forms.CharField(required=False, max_length=16)
    update = forms.IntegerField(required=False, min_value=1)

    def filter(self, rows):
        if not self.is_valid():
            return rows
        data = self.cleaned_data
        if data["state"]:
            rows = rows.filter(state=data["state"])
        if data["channel"]:
            rows = rows.filter(channel=data["channel"])
        if data["update"]:
            rows = rows.filter(update_id=data["update"])
        return rows


class RetryForm(forms.Form):
    ids = forms.ModelMultipleChoiceField(queryset=Notification.objects.filter(state=State.FAILED), required=False)
    all_failed = forms.BooleanField(required=False)


class TemplatesForm(forms.Form):
    """The texts of one event, a field per part. Each is checked by rendering it on the sample incident;
    a blank field stands for the built-in default."""

    def __init__(self, event: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        for part in templating.EVENT_PARTS[event]:
            rows = 1 if part == Part.SUBJECT else 6 if part == Part.EMAIL else 3
            self.fields[part] = forms.CharField(
                label=Part(part).label,
                required=False,
                max_length=templating.MAX_TEMPLATE_LENGTH,
                widget=forms.Textarea(attrs={"rows": rows, "spellcheck": "false"}),
            )

    def clean(self):
        data = super().clean()
        for part in templating.EVENT_PARTS[self.event]:
            if part not in data:
                continue  # too long: the field's own error says so
            data[part] = data[part].replace("\r\n", "\n")
            try:
                messages.check(self.event, part, self.source(part))
            except ValueError as exc:
                self.add_error(part, str(exc))
        return data

    def source(self, part: str) -> str:
        return self.cleaned_data.get(part) or templating.DEFAULTS[(self.event, part)]

    def sources(self) -> dict[str, str]:
        """What each part would be once saved (call after is_valid())."""
        return {part: self.source(part) for part in templating.EVENT_PARTS[self.event]}


# --- Stakeholders added and edited in the dashboard (issue #15) ------------------------------------


class StakeholderForm(forms.ModelForm):
    """A stakeholder as the API takes one (comms.api.serializers.StakeholderSerializer): the model's
    validators, channels from the known media, and a phone written any usual way, stored in E.164."""

    channels = forms.MultipleChoiceField(
        choices=Medium.choices, required=False, widget=forms.CheckboxSelectMultiple, help_text="How to reach them."
    )
    opted_out = forms.MultipleChoiceField(
        choices=Medium.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Opted out of",
        help_text="Media this person asked not to be sent.",
    )
    time_zone = forms.ChoiceField(choices=[], initial="UTC", help_text="Their messages show times in this zone.")

    class Meta:
        model = Stakeholder
        fields = ["name", "organisation", "kind", "email", "phone", "channels", "opted_out", "time_zone"]
        fields += ["groups", "components"]
        widgets = {
            "groups": forms.CheckboxSelectMultiple,
            "components": forms.CheckboxSelectMultiple,
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "placeholder": "+14155550100"}),
        }
        help_texts = {
            "phone": "With the country code, e.g. +44 20 7946 0958: stored as +442079460958.",
            "components": "They hear about incidents on these; none ticked: every component.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["time_zone"].choices = [(zone, zone) for zone in sorted(zoneinfo.available_timezones())]
        if self.instance.pk is None and not self.is_bound:
            self.initial.setdefault("channels", [Medium.EMAIL])

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if not value:
            return value
        try:
            return to_e164(value)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None

    # The model keeps a list, in the order of Medium (as the API stores it).
    def clean_channels(self) -> list[str]:
        return [m for m in Medium.values if m in self.cleaned_data["channels"]]

    def clean_opted_out(self) -> list[str]:
        return [m for m in Medium.values if m in self.cleaned_data["opted_out"]]

    def values(self) -> dict:
        """Keyword arguments for comms.services.do_save_stakeholder (after is_valid())."""
        return dict(self.cleaned_data)

    def mark_first_error(self) -> None:
        """Fields in error say so to assistive technology; the first takes the focus, so the browser
        scrolls to it, with its message beside it."""
        in_error = [name for name in self.fields if name in self.errors]
        for name in in_error:
            self.fields[name].widget.attrs["aria-invalid"] = "true"
        if in_error:
            self.fields[in_error[0]].widget.attrs["autofocus"] = True
