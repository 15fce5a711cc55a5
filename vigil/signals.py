"""Audit receivers for authentication events."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import Actor, client_ip, record


@receiver(user_logged_in, dispatch_uid="vigil.audit.login")
def audit_login(sender, request, user, **kwargs):
    if request is not None:
        record(Actor(user=user, ip=client_ip(request), via="web"), "auth.login", user)


@receiver(user_logged_out, dispatch_uid="vigil.audit.logout")
def audit_logout(sender, request, user, **kwargs):
    if request is not None and user is not None:
        record(Actor(user=user, ip=client_ip(request), via="web"), "auth.logout", user)


@receiver(user_login_failed, dispatch_uid="vigil.audit.login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    if request is not None:
        username = str(credentials.get("username", ""))[:150]
        record(Actor(ip=client_ip(request), via="web"), "auth.login_failed", username=username)
