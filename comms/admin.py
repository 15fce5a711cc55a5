from django.contrib import admin, messages
from django.db import models

from vigil.audit import Actor
from vigil.privacy import SensitiveAdminMixin

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
from .status.subscribers.services import do_unsubscribe


@admin.register(StakeholderGroup)
class StakeholderGroupAdmin(admin.ModelAdmin):
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


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    """The status page's subscribers, for admins only: they sign themselves up (comms.status.subscribers).
    Deleting one here cancels the subscription; the token and secret are never shown."""

    list_display = ["address", "kind", "confirmed_at", "created_at"]
    list_filter = ["kind", ("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["address"]
    fields = ["kind", "address", "components", "confirmed_at", "created_at"]
    readonly_fields = ["kind", "address", "confirmed_at", "created_at"]
    filter_horizontal = ["components"]

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        do_unsubscribe(Actor.from_request(request), obj)

    def delete_queryset(self, request, queryset):
        for subscriber in queryset:
            do_unsubscribe(Actor.from_request(request), subscriber)
