from django import forms

from incidents.models import Integration


class IntegrationForm(forms.ModelForm):
    """Validation only: incidents.integrations.services writes the row."""

    class Meta:
        model = Integration
        fields = ["name", "kind", "team", "severity", "components", "escalation_policy", "auto_resolve"]
        labels = {"severity": "Default severity", "auto_resolve": "Resolve the incident when its last alert resolves"}
        widgets = {"name": forms.TextInput(attrs={"autofocus": True, "placeholder": "e.g. Prometheus production"})}


class IntegrationEditForm(forms.ModelForm):
    """The kind is fixed once made (the sender's format); the token changes only by rotation."""

    class Meta:
        model = Integration
        fields = ["name", "severity", "components", "escalation_policy", "auto_resolve", "enabled"]
        labels = IntegrationForm.Meta.labels
