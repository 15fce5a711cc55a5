from django import forms
from django.contrib.auth import get_user_model

from vigil.text import LineField, TextField

from .models import Component, ComponentStatus, EscalationPolicy, Incident, PublicStatus, Severity, Status
from .services import ROLES


class DeclareForm(forms.Form):
    title = LineField(
        max_length=200, widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "What is broken?"})
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3, widget=forms.RadioSelect)
    components = forms.ModelMultipleChoiceField(queryset=Component.objects.all(), required=False)
    escalation_policy = forms.ModelChoiceField(
        queryset=EscalationPolicy.objects.all(), required=False, help_text="Page people until someone acknowledges."
    )
    summary = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class NoteForm(forms.Form):
    message = TextField(label="Note", widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)


class UpdateForm(forms.Form):
    takes_incident = True  # the action views pass the incident in

    status = forms.ChoiceField(choices=PublicStatus.choices)
    message = TextField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)

    def __init__(self, *args, incident: Incident | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if incident is not None and not self.is_bound:
            self.initial["status"] = incident.public_status


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(choices=Severity.choices)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[c for c in Status.choices if c[0] != Status.RESOLVED])


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(k, v.capitalize()) for k, v in ROLES.items()])
    user = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True), required=False)


class WarRoomForm(forms.Form):
    bridge_url = forms.URLField(required=False, assume_scheme="https")
    chat_url = forms.URLField(required=False, assume_scheme="https")


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(queryset=Incident.objects.open(), label="Merge into incident")


class EscalationForm(forms.Form):
    policy = forms.ModelChoiceField(queryset=EscalationPolicy.objects.all())


class ComponentsForm(forms.Form):
    """One status field per component; 'not affected' removes it from the incident."""

    NOT_AFFECTED = ""
    takes_incident = True  # the action views pass the incident in

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        current = {ic.component_id: ic.status for ic in incident.affected.all()}
        choices = [(self.NOT_AFFECTED, "Not affected"), *ComponentStatus.choices]
        self.components = list(Component.objects.all())
        for component in self.components:
            self.fields[f"c{component.pk}"] = forms.ChoiceField(
                label=component.name, choices=choices, required=False, initial=current.get(component.pk, "")
            )

    def selected(self) -> dict:
        return {
            c: self.cleaned_data[f"c{c.pk}"]
            for c in self.components
            if self.cleaned_data.get(f"c{c.pk}") != self.NOT_AFFECTED
        }
