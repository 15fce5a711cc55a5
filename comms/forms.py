from django import forms

from . import messages, templating
from .models import Notification, Part, StakeholderGroup, State

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
