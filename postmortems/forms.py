from django import forms
from django.contrib.auth import get_user_model

from incidents import links
from vigil.people import people

from .models import ActionItem, PostMortem, PostMortemTimelineEntry


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
        self.fields["owner"].queryset = people()
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


class PostMortemForm(forms.ModelForm):
    """Title, summary and the written sections; the five whys as five why/because pairs."""

    class Meta:
        model = PostMortem
        fields = ["title", "summary", *(name for name, _ in PostMortem.SECTIONS)]
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in ["summary", *dict(PostMortem.SECTIONS)]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pairs = list(self.instance.five_whys or [])
        for number in range(1, WHYS + 1):
            pair = pairs[number - 1] if number <= len(pairs) else {}
            self.fields[f"why_{number}"] = forms.CharField(
                required=False, label=f"Why {number}", initial=pair.get("why", ""), max_length=1000
            )
            self.fields[f"because_{number}"] = forms.CharField(
                required=False, label=f"Because {number}", initial=pair.get("because", ""), max_length=2000
            )

    def changes(self) -> dict:
        """The fields for postmortems.services.do_update_postmortem."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["five_whys"] = [
            {"why": self.cleaned_data[f"why_{n}"], "because": self.cleaned_data[f"because_{n}"]}
            for n in range(1, WHYS + 1)
        ]
        return data


WHYS = 5

TimelineFormSet = forms.inlineformset_factory(
    PostMortem,
    PostMortemTimelineEntry,
    fields=["at", "text", "public"],
    extra=1,
    can_delete=True,
    widgets={"text": forms.Textarea(attrs={"rows": 2})},
)


class ReviewersForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = people().order_by("username")


class PublishForm(forms.Form):
    public_summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
