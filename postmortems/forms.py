from django import forms
from django.contrib.auth import get_user_model

from . import links
from .models import ActionItem


class ActionItemForm(forms.ModelForm):
    """An action item from the dashboard. The target is chosen among what other apps registered."""

    target = forms.ChoiceField(
        required=False, label="Changes", help_text="e.g. a DR plan to update: the plan is flagged for review."
    )
    tracker_url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="External tracker")

    class Meta:
        model = ActionItem
        fields = ["title", "details", "owner", "due_date", "priority", "kind", "status", "tracker_url", "postmortem"]
        widgets = {
            "details": forms.Textarea(attrs={"rows": 3}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True)
        self.fields["target"].choices = [("", "—"), *links.targets.options()]
        item = self.instance
        if item.pk is None:
            del self.fields["status"]
        else:
            allowed = {item.status} | {s for s in ActionItem.Status if item.can_move_to(s)}
            self.fields["status"].choices = [c for c in ActionItem.Status.choices if c[0] in allowed]
            if item.target is not None:
                self.initial["target"] = f"{links.targets.key(type(item.target))}:{item.target.pk}"

    def clean_target(self):
        try:
            return links.targets.parse(self.cleaned_data["target"])
        except LookupError as exc:
            raise forms.ValidationError(str(exc)) from exc
