"""Dashboard forms for scheduled maintenance and the page's branding. Times are the viewer's."""

from django import forms

from comms.models import MaintenanceStatus, ScheduledMaintenance, StatusPageBranding
from incidents.models import Component

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MaintenanceForm(forms.ModelForm):
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        help_text="Under maintenance during the window: shown so on the page, and their monitors raise no alerts.",
    )

    class Meta:
        model = ScheduledMaintenance
        fields = ["title", "message", "components", "starts_at", "ends_at"]
        labels = {"starts_at": "Starts", "ends_at": "Ends", "message": "Message to customers"}
        widgets = {"starts_at": DATETIME, "ends_at": DATETIME, "message": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The window must end after it starts.")
        return data

    def values(self) -> dict:
        """Keyword arguments for comms.status.services."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class MoveForm(forms.Form):
    status = forms.ChoiceField(choices=MaintenanceStatus.choices)
    message = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Public update (optional)"
    )


class BrandingForm(forms.ModelForm):
    logo_url = forms.URLField(
        required=False, assume_scheme="https", label="Logo URL", help_text="An image shown in the header."
    )

    class Meta:
        model = StatusPageBranding
        fields = ["name", "logo_url", "accent_colour", "footer_links", "support_contact"]
        widgets = {
            "accent_colour": forms.TextInput(attrs={"type": "color"}),
            "footer_links": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)


class SetupForm(forms.ModelForm):
    """The first admin's setup step (comms.status.setup): the page's name and logo, nothing else."""

    logo_url = BrandingForm.base_fields["logo_url"]

    class Meta:
        model = StatusPageBranding
        fields = ["name", "logo_url"]
        labels = {"name": "Status page name"}
        help_texts = {"name": "Your company or product, as customers know it: the page's title and every message's."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
