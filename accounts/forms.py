from django import forms
from django.conf import settings

from .models import ServiceKey
from .scopes import WRITABLE_KINDS


class ServiceKeyForm(forms.Form):
    """A new service key. The rules (who, which kinds, how long) are accounts.services'; this only asks."""

    name = forms.CharField(max_length=100, help_text="What will use this key, e.g. 'Terraform' or 'deploy pipeline'.")
    team = forms.ModelChoiceField(queryset=None, empty_label=None, help_text="The team that owns the key.")
    scope = forms.ChoiceField(choices=ServiceKey.Scope.choices, widget=forms.RadioSelect, initial=ServiceKey.Scope.READ)
    kinds = forms.MultipleChoiceField(
        choices=list(WRITABLE_KINDS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="May add and change",
        help_text="For a write key only.",
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        # Built here, not in the class: the settings are read when the form is made, so a test can change them.
        longest = settings.VIGIL_SERVICE_KEY_MAX_DAYS
        self.fields["days"] = forms.IntegerField(
            min_value=1,
            max_value=longest,
            initial=settings.VIGIL_SERVICE_KEY_DEFAULT_DAYS,
            label="Expires after (days)",
            help_text=f"At most {longest}.",
        )
