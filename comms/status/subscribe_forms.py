"""The public subscription forms: what an address must be, and the components one may choose."""

from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from comms import subscriptions
from comms.models import Subscriber
from comms.phones import to_e164
from incidents.models import Component

Kind = Subscriber.Kind


def public_components():
    return Component.objects.filter(public=True).order_by("position", "name")


class ComponentsField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(queryset=public_components(), required=False, widget=forms.CheckboxSelectMultiple, **kwargs)


class SubscribeForm(forms.Form):
    """One of email, phone or URL; the components (none: all of them)."""

    email = forms.CharField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=40)
    url = forms.CharField(required=False, max_length=500)
    components = ComponentsField()

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip()
        if value:
            forms.EmailField().clean(value)
            value = BaseUserManager.normalize_email(value).lower()
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        return to_e164(value) if value else ""

    def clean_url(self) -> str:
        value = self.cleaned_data["url"].strip()
        if not value:
            return ""
        URLValidator(schemes=["https", "http"], message="Give the webhook's full address, https://...")(value)
        try:
            subscriptions.check_webhook_host(value)
        except subscriptions.SubscriptionError as exc:
            raise ValidationError(str(exc)) from None
        return value

    def clean(self):
        data = super().clean()
        given = [name for name in ("email", "phone", "url") if data.get(name)]
        if not given and not self.errors:
            raise ValidationError("Fill in an email address, a phone number or a webhook URL.")
        if len(given) > 1:
            raise ValidationError("Fill in only one of email, phone and webhook URL: subscribe each separately.")
        return data

    @property
    def kind(self) -> str:
        return {"email": Kind.EMAIL, "phone": Kind.SMS, "url": Kind.WEBHOOK}[self._given()]

    @property
    def address(self) -> str:
        return self.cleaned_data[self._given()]

    def _given(self) -> str:
        return next(name for name in ("email", "phone", "url") if self.cleaned_data.get(name))

    def values(self) -> dict:
        """What was typed, to show again with the errors."""
        chosen = []
        for value in self.data.getlist("components") if hasattr(self.data, "getlist") else []:
            if str(value).isdigit():
                chosen.append(int(value))
        return {
            "email": self.data.get("email", ""),
            "phone": self.data.get("phone", ""),
            "url": self.data.get("url", ""),
            "components": chosen,
        }


class CodeForm(forms.Form):
    code = forms.CharField(max_length=12, label="Code from the text message")


class ManageForm(forms.Form):
    components = ComponentsField()
