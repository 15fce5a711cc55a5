"""The forms of "My notifications" (comms.my_views): a person's own methods, rules and quiet hours.

The ntfy token and the Apprise URL are secrets: their inputs are never filled in from what is stored
(render_value=False), and left blank they keep it.
"""

from django import forms

from incidents.models.oncall import known_time_zones

from .models import PageMedium, Urgency
from .phones import validate_e164

DELAY_HELP = "Minutes after the page, if nobody has acknowledged by then (0: at once)."


class ContactForm(forms.Form):
    phone = forms.CharField(
        max_length=20, required=False, validators=[validate_e164], help_text="E.164, e.g. +447700900123"
    )


class NtfyForm(forms.Form):
    server = forms.URLField(assume_scheme="https", help_text="https://ntfy.sh, or your own ntfy server.")
    topic = forms.RegexField(
        regex=r"^[-_A-Za-z0-9]{1,64}$",
        max_length=64,
        required=False,
        help_text="Hard to guess: letters, digits, - and _.",
    )
    token = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="An access token (tk_...) for a protected topic. Never shown again; blank keeps the one saved.",
    )
    clear_token = forms.BooleanField(required=False, label="Remove the saved token")


class AppriseForm(forms.Form):
    url = forms.CharField(
        max_length=500,
        required=False,
        label="Apprise URL",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="tgram://bottoken/chatid, discord://id/token ... Never shown again; blank keeps the one saved.",
    )
    label = forms.CharField(max_length=100, required=False, help_text="What it is, e.g. Telegram.")
    remove = forms.BooleanField(required=False, label="Remove my Apprise URL")


class RuleForm(forms.Form):
    urgency = forms.ChoiceField(choices=Urgency.choices, widget=forms.HiddenInput)
    medium = forms.ChoiceField(choices=PageMedium.choices, label="Method")
    delay_minutes = forms.IntegerField(
        min_value=0, max_value=1440, initial=0, label="After (minutes)", help_text=DELAY_HELP
    )


class DelayForm(forms.Form):
    delay_minutes = forms.IntegerField(min_value=0, max_value=1440, label="After (minutes)")


class QuietHoursForm(forms.Form):
    quiet_start = forms.TimeField(
        required=False, label="From", help_text="e.g. 22:00", widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(
        required=False, label="Until", help_text="e.g. 07:00", widget=forms.TimeInput(attrs={"type": "time"})
    )
    time_zone = forms.CharField(
        max_length=64, initial="UTC", widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"})
    )

    def clean_time_zone(self) -> str:
        zone = self.cleaned_data["time_zone"].strip()
        if zone not in known_time_zones():
            raise forms.ValidationError("Unknown time zone: use an IANA name such as Europe/Paris.")
        return zone

    def clean(self):
        data = super().clean()
        if (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
            self.add_error("quiet_end" if data.get("quiet_start") else "quiet_start", "Give both times, or neither.")
        return data


class TestPageForm(forms.Form):
    urgency = forms.ChoiceField(choices=Urgency.choices, widget=forms.HiddenInput)
