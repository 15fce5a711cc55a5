"""The incident forms. Their limits are the server's (the model's lengths, the actions' rules), and
Django puts them on the inputs (maxlength), so the browser and the server refuse the same things.

Every form on the incident page has its own id prefix (auto_id), so two forms with a field of the
same name (the update's public status, the incident's own status) never share an element id.
"""

from django import forms

from vigil.people import people
from vigil.text import LineField, TextField

from .models import Component, ComponentStatus, EscalationPolicy, Incident, PublicStatus, Severity, Status
from .services import ROLES

# The longest message, note or summary the actions take: the API's serializers say the same.
MESSAGE_LIMIT = 10_000
# URLField's model length (Incident.bridge_url, chat_url): a longer link is refused, not cut.
URL_LIMIT = 200


class IncidentForm(forms.Form):
    """A form of the incident page. ID_PREFIX keeps its element ids apart from the other forms'."""

    id_prefix = "id"
    takes_incident = False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class DeclareForm(forms.Form):
    DEFAULT, NONE = "default", "none"

    title = LineField(
        max_length=200, widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "What is broken?"})
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3, widget=forms.RadioSelect)
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    escalation_policy = forms.ChoiceField(
        label="Paging",
        initial=DEFAULT,
        required=False,  # left out (a script, an old form): the default, as in the API
        help_text="Page people until someone acknowledges.",
    )
    summary = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=MESSAGE_LIMIT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.policies = {str(p.pk): p for p in EscalationPolicy.objects.all()}
        self.fields["escalation_policy"].choices = [
            (self.DEFAULT, "The default for this severity and these components"),
            *[(pk, p.name) for pk, p in self.policies.items()],
            (self.NONE, "Nobody: do not page"),
        ]

    def chosen_policy(self) -> EscalationPolicy | None:
        return self.policies.get(self.cleaned_data.get("escalation_policy", ""))

    def no_paging(self) -> bool:
        return self.cleaned_data.get("escalation_policy") == self.NONE

    def declare_kwargs(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "escalation_policy"}
        return {**data, "escalation_policy": self.chosen_policy(), "paging": not self.no_paging()}


class NoteForm(IncidentForm):
    id_prefix = "note"

    message = TextField(label="Internal note", widget=forms.Textarea(attrs={"rows": 2}), max_length=MESSAGE_LIMIT)


def component_fields(form: forms.Form, incident: Incident) -> list[Component]:
    """One status field per component on FORM ('not affected' leaves it out), set to the incident's own."""
    current = {ic.component_id: ic.status for ic in incident.affected.all()}
    choices = [("", "Not affected"), *ComponentStatus.choices]
    components = list(Component.objects.all())
    for component in components:
        form.fields[f"c{component.pk}"] = forms.ChoiceField(
            label=component.name, choices=choices, required=False, initial=current.get(component.pk, "")
        )
    return components


class UpdateForm(IncidentForm):
    """The Update composer: the message, the status customers see, and the affected components with
    their statuses, posted as one action (services.do_post_update)."""

    takes_incident = True  # the action views pass the incident in

    status = forms.ChoiceField(choices=PublicStatus.choices, label="Status customers see")
    message = TextField(widget=forms.Textarea(attrs={"rows": 4}), max_length=MESSAGE_LIMIT)
    # Present when the composer showed the components: an older client that posts only the
    # status and message leaves the affected components as they are.
    with_components = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, incident: Incident | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.components = component_fields(self, incident) if incident is not None else []
        if incident is not None and not self.is_bound:
            self.initial["status"] = incident.public_status
            self.initial["with_components"] = True

    def component_statuses(self) -> dict | None:
        """{component: status} as chosen, or None when the form did not show them."""
        if not self.cleaned_data.get("with_components"):
            return None
        chosen = {c: self.cleaned_data.get(f"c{c.pk}") for c in self.components}
        return {c: s for c, s in chosen.items() if s}

    def component_ids(self) -> dict[int, str] | None:
        statuses = self.component_statuses()
        return None if statuses is None else {c.pk: s for c, s in statuses.items()}

    def component_boundfields(self):
        return [self[f"c{c.pk}"] for c in self.components]

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"status": data["status"], "message": data["message"], "components": self.component_statuses()}


class SeverityForm(IncidentForm):
    id_prefix = "severity"

    severity = forms.ChoiceField(choices=Severity.choices)


class StatusForm(IncidentForm):
    id_prefix = "state"

    status = forms.ChoiceField(choices=[c for c in Status.choices if c[0] != Status.RESOLVED])


class RoleForm(IncidentForm):
    id_prefix = "role"

    role = forms.ChoiceField(choices=[(k, v.capitalize()) for k, v in ROLES.items()])
    user = forms.ModelChoiceField(queryset=people(), required=False)


class WarRoomForm(IncidentForm):
    id_prefix = "warroom"

    bridge_url = forms.URLField(required=False, assume_scheme="https", max_length=URL_LIMIT)
    chat_url = forms.URLField(required=False, assume_scheme="https", max_length=URL_LIMIT)


class MergeForm(IncidentForm):
    id_prefix = "merge"

    into = forms.ModelChoiceField(queryset=Incident.objects.open(), label="Merge into incident")


class EscalationForm(IncidentForm):
    id_prefix = "escalation"

    policy = forms.ModelChoiceField(queryset=EscalationPolicy.objects.all())


class ComponentsForm(IncidentForm):
    """One status field per component; 'not affected' removes it from the incident."""

    id_prefix = "components"
    NOT_AFFECTED = ""
    takes_incident = True  # the action views pass the incident in

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.components = component_fields(self, incident)

    def selected(self) -> dict:
        return {
            c: self.cleaned_data[f"c{c.pk}"]
            for c in self.components
            if self.cleaned_data.get(f"c{c.pk}") != self.NOT_AFFECTED
        }
