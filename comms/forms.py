from django import forms

from .models import Notification, StakeholderGroup, State

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
