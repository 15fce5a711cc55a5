"""Audit receivers for authentication and Django-admin events, and the role/staff link."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from .audit import Actor, client_ip, current_request_ip, record
from .roles import Role
from .twofactor.services import SESSION_PROVIDER


@receiver(user_logged_in, dispatch_uid="vigil.audit.login")
def audit_login(sender, request, user, **kwargs):
    """`via` is the identity provider for a single sign-on (accounts.sessions marks the session first)."""
    if request is not None:
        mark = request.session.get(SESSION_PROVIDER) or {}
        via = mark.get("provider", "web") if mark.get("user") == user.pk else "web"
        record(Actor(user=user, ip=client_ip(request), via=via), "auth.login", user)


@receiver(user_logged_out, dispatch_uid="vigil.audit.logout")
def audit_logout(sender, request, user, **kwargs):
    if request is not None and user is not None:
        record(Actor(user=user, ip=client_ip(request), via="web"), "auth.logout", user)


@receiver(user_login_failed, dispatch_uid="vigil.audit.login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    if request is not None:
        username = str(credentials.get("username", ""))[:150]
        record(Actor(ip=client_ip(request), via="web"), "auth.login_failed", username=username)


ADMIN_ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}


@receiver(post_save, sender=LogEntry, dispatch_uid="vigil.audit.admin")
def audit_admin_change(sender, instance: LogEntry, created: bool, **kwargs):
    """Changes made in Django's admin land in Vigil's audit log too."""
    if created:
        record(
            Actor(user=instance.user, ip=current_request_ip(), via="admin"),
            ADMIN_ACTIONS.get(instance.action_flag, "admin.change"),
            model=f"{instance.content_type.app_label}.{instance.content_type.model}" if instance.content_type else "",
            object=instance.object_repr[:200],
            message=instance.get_change_message(),
        )


@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="vigil.roles.staff")
def staff_follows_the_admin_role(sender, instance, action, reverse, **kwargs):
    """A user put in (or taken out of) the admin group in Django's admin gets (or loses) is_staff."""
    if reverse or action not in {"post_add", "post_remove", "post_clear"}:
        return
    is_admin = instance.is_superuser or instance.groups.filter(name=Role.ADMIN.value).exists()
    if instance.is_staff != is_admin:
        instance.is_staff = is_admin
        instance.save(update_fields=["is_staff"])
