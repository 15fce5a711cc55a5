from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models

from vigil.audit import Actor
from vigil.managed import ManagedByConfigAdmin
from vigil.privacy import SensitiveAdminMixin

from .apprise_urls import validate_apprise_url
from .models import (
    AppriseTarget,
    Contact,
    Endpoint,
    Notification,
    NotificationRule,
    NtfyTarget,
    Stakeholder,
    StakeholderGroup,
    Subscriber,
)
from .services import ActionError, do_send_ntfy_test
from .status.subscribers.forms import public_components
from .status.subscribers.services import do_add_apprise_subscriber, do_unsubscribe


@admin.register(StakeholderGroup)
class StakeholderGroupAdmin(ManagedByConfigAdmin, admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "kind", "email", "phone"]
    list_filter = ["kind", "groups"]
    search_fields = ["name", "organisation", "email", "phone"]
    filter_horizontal = ["groups", "components"]


@admin.register(Endpoint)
class EndpointAdmin(SensitiveAdminMixin, admin.ModelAdmin):
    """The signing key or access token is written here, never read back (vigil.privacy)."""

    list_display = ["name", "kind", "url", "enabled"]
    write_only_fields = ("secret",)
    list_filter = ["kind", "enabled"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["user", "phone", "sms_opted_out"]
    search_fields = ["user__username", "phone"]


@admin.register(NtfyTarget)
class NtfyTargetAdmin(SensitiveAdminMixin, admin.ModelAdmin):
    """A responder's ntfy server, topic and access token (comms.channels.ntfy). The token is written here,
    never read back (vigil.privacy)."""

    list_display = ["user", "server"]
    search_fields = ["user__username"]
    write_only_fields = ("token",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["send_test"]

    @admin.action(description="Send a test message")
    def send_test(self, request, queryset):
        for target in queryset.select_related("user"):
            try:
                do_send_ntfy_test(Actor.from_request(request), target)
            except ActionError as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                self.message_user(request, f"Test queued for {target.user}: see the Outbox page.")


@admin.register(AppriseTarget)
class AppriseTargetAdmin(SensitiveAdminMixin, admin.ModelAdmin):
    """A person's Apprise URL is a credential: written here, never read back (vigil.privacy)."""

    list_display = ["user", "label"]
    search_fields = ["user__username", "label"]
    write_only_fields = ("url",)


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    list_display = ["user", "medium", "delay_minutes", "warning"]
    list_filter = ["medium"]

    @admin.display(description="Reaches them?")
    def warning(self, rule):
        """A rule that reaches nobody (no phone, not linked to Slack) says so (comms.rules_for)."""
        from .rules_for import problem

        return problem(rule) or "yes"


@admin.register(Notification)
class NotificationAdmin(SensitiveAdminMixin, admin.ModelAdmin):
    """Read-only: the outbox changes only through comms.outbox and comms.services. A page SMS's ACK code
    acts as its person: shown masked (vigil.privacy)."""

    masked_fields = ("ack_code",)

    list_display = ["created_at", "channel", "medium", "destination", "state", "attempts"]
    list_filter = ["state", "channel", "medium"]
    search_fields = ["destination", "provider_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AppriseSubscriberForm(forms.ModelForm):
    """The add form: an Apprise URL, the only kind added here (everyone else signs up on the page)."""

    class Meta:
        model = Subscriber
        fields = ["address", "components"]
        labels = {"address": "Apprise URL"}
        help_texts = {
            "address": "One Apprise URL (tgram://, discord://, json://...). It is confirmed at once and sent "
            "updates with no manage link: change or delete it here."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["components"].queryset = public_components()

    def clean_address(self) -> str:
        url = self.cleaned_data["address"].strip()
        validate_apprise_url(url)
        if Subscriber.objects.filter(kind=Subscriber.Kind.APPRISE, address=url).exists():
            raise ValidationError("This Apprise URL is subscribed already: change that subscription instead.")
        return url


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    """The status page's subscribers, for admins only. People sign themselves up (comms.status.subscribers),
    so the add form adds only the kind they cannot: an Apprise URL (do_add_apprise_subscriber). Deleting one
    here cancels the subscription; the token and secret are never shown."""

    list_display = ["address", "kind", "confirmed_at", "created_at"]
    list_filter = ["kind", ("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["address"]
    fields = ["kind", "address", "components", "confirmed_at", "created_at"]
    readonly_fields = ["kind", "address", "confirmed_at", "created_at"]
    filter_horizontal = ["components"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AppriseSubscriberForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["address", "components"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        added = do_add_apprise_subscriber(
            Actor.from_request(request), form.cleaned_data["address"], form.cleaned_data["components"]
        )
        obj.pk, obj.kind, obj.token, obj.confirmed_at = added.pk, added.kind, added.token, added.confirmed_at
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        if change:  # a new one's components are set by do_add_apprise_subscriber
            super().save_related(request, form, formsets, change)

    def delete_model(self, request, obj):
        do_unsubscribe(Actor.from_request(request), obj)

    def delete_queryset(self, request, queryset):
        for subscriber in queryset:
            do_unsubscribe(Actor.from_request(request), subscriber)
