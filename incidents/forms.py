from django import forms

from .models import Component, Severity


class DeclareForm(forms.Form):
    title = forms.CharField(
        max_length=200, widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "What is broken?"})
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3)
    components = forms.ModelMultipleChoiceField(queryset=Component.objects.all(), required=False)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class NoteForm(forms.Form):
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)
