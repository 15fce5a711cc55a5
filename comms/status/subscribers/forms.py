"""The public subscription forms: what an address must be, and the components one may choose."""

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from comms import apprise_urls
from comms.models import Subscriber
from comms.phones import to_e164
from incidents.models import Component

from .services import APPRISE_IS_ADMINS, PUBLIC_KINDS, SubscriptionError, check_webhook_host

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
    # A honeypot: hidden from people by the page's CSS, labelled "leave this empty" for screen
    # readers, skipped by the keyboard; programs that fill in every field fill it in (HONEYPOT_ERROR).
    website = forms.CharField(required=False)

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip()
        if value:
            forms.EmailField().clean(value)
            value = BaseUserManager.normalize_email(value).lower()
        return value

    def clean_phone(self) -> str:
        """E.164; from a country in VIGIL_STATUS_SMS_COUNTRIES when that is set (SMS pumping, issue #14)."""
        value = self.cleaned_data["phone"].strip()
        if not value:
            return ""
        number = to_e164(value)
        allowed = settings.VIGIL_STATUS_SMS_COUNTRIES
        if allowed and sms_country(number) not in allowed:
            raise ValidationError(
                "Text messages from this page go only to numbers in "
                f"{', '.join(allowed)}. Subscribe by email or webhook instead."
            )
        return number

    def clean_url(self) -> str:
        value = self.cleaned_data["url"].strip()
        if not value:
            return ""
        scheme = value.partition("://")[0].lower()
        if scheme not in ("http", "https") and apprise_urls.service(value) is not None:
            raise ValidationError(APPRISE_IS_ADMINS)  # tgram://, json://...: an Apprise URL, admin-set only
        URLValidator(schemes=["https", "http"], message="Give the webhook's full address, https://...")(value)
        try:
            check_webhook_host(value)
        except SubscriptionError as exc:
            raise ValidationError(str(exc)) from None
        return value

    def clean(self):
        data = super().clean()
        if data.get("website"):
            raise ValidationError(HONEYPOT_ERROR, code="honeypot")
        # The page's form names no kind (the field filled in does); a program may still post one.
        asked = str(self.data.get("kind", "") or "").strip().lower()
        if asked and asked not in PUBLIC_KINDS:
            raise ValidationError(APPRISE_IS_ADMINS if asked == Kind.APPRISE else "That is not a kind of subscription.")
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

    @property
    def filled_honeypot(self) -> bool:
        return any(error.code == "honeypot" for error in self.errors.as_data().get("__all__", []))

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


HONEYPOT_ERROR = (
    "This sign-up looks automated (the field to leave empty was filled in), so nothing was sent. "
    "If you are a person, leave that field empty and subscribe again."
)


def sms_country(number: str) -> str:
    """The ISO 3166 country code of an E.164 NUMBER ("US"), or "ZZ" when it has none."""
    return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or "ZZ"


class CodeForm(forms.Form):
    code = forms.CharField(max_length=12, label="Code from the text message")


class ManageForm(forms.Form):
    components = ComponentsField()
