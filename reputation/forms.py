"""Dashboard forms: the feed's filters, manual entry, answering a mention, linking it, sources and brands."""

from django import forms
from django.db.models import Q, QuerySet

from incidents.models import Incident

from .models import Brand, MentionSource, MentionState, Sentiment


def incident_field(**kwargs) -> forms.ModelChoiceField:
    """An incident by its number: a select of every incident would grow without end."""
    return forms.ModelChoiceField(
        queryset=Incident.objects.all(),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "placeholder": "e.g. 42"}),
        error_messages={"invalid_choice": "There is no incident with this number."},
        **kwargs,
    )


class MentionFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    brand = forms.ModelChoiceField(queryset=Brand.objects.all(), required=False, empty_label="Any brand")
    label = forms.ChoiceField(choices=[("", "Any tone"), *Sentiment.choices], required=False, label="Sentiment")
    state = forms.ChoiceField(choices=[("", "Any state"), *MentionState.choices], required=False)
    source = forms.ModelChoiceField(queryset=MentionSource.objects.all(), required=False, empty_label="Any source")
    incident = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def filter(self, mentions: QuerySet) -> QuerySet:
        if not self.is_valid():
            return mentions
        data = self.cleaned_data
        for name in ("brand", "label", "state", "source", "incident"):
            if data.get(name):
                mentions = mentions.filter(**{name: data[name]})
        if data.get("q"):
            mentions = mentions.filter(Q(text__icontains=data["q"]) | Q(author__icontains=data["q"]))
        return mentions


class MentionForm(forms.Form):
    """Manual entry: a mention someone saw and wants on the record."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    url = forms.URLField(required=False, max_length=1000, label="URL", assume_scheme="https")
    author = forms.CharField(required=False, max_length=200)
    platform = forms.CharField(required=False, max_length=50, help_text="Where it was posted, e.g. reddit.")
    published_at = forms.DateTimeField(
        required=False,
        label="Posted at",
        help_text="In your time zone; empty for now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    incident = incident_field(label="Incident #", help_text="Link it to an incident by hand.")


class StateForm(forms.Form):
    state = forms.ChoiceField(choices=MentionState.choices)
    response = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}), help_text="What was answered."
    )


class LinkForm(forms.Form):
    incident = incident_field(label="Incident #", help_text="Empty unlinks it.")


class SourceForm(forms.ModelForm):
    url = forms.URLField(required=False, max_length=2000, label="Feed URL", assume_scheme="https")

    class Meta:
        model = MentionSource
        fields = ["name", "kind", "brand", "url", "enabled", "poll_interval_seconds"]
        labels = {"url": "Feed URL", "poll_interval_seconds": "Poll every (seconds)"}


class BrandForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = ["name", "ours", "keywords"]
        widgets = {"keywords": forms.TextInput()}
        labels = {"ours": "This is our brand"}
