"""API key authentication: `Authorization: Bearer vgl_...` (or `Token vgl_...`)."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from vigil.models import ApiKey

# last_used_at is written at most this often per key, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


KEYWORDS = ("bearer", "token")


def bearer_key(request) -> str | None:
    """The key of `Authorization: Bearer <key>` (or `Token <key>`); None without such a header.
    Shared by every kind of key (personal here, teams' service keys in accounts.authentication)."""
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].decode(errors="replace").lower() not in KEYWORDS:
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <key>'.")
    return header[1].decode(errors="replace")


def touch_last_used(model, key) -> None:
    """Record KEY's use, at most once per LAST_USED_RESOLUTION."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        model.objects.filter(pk=key.pk).update(last_used_at=now)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = bearer_key(request)
        if raw is None:
            return None
        key = ApiKey.objects.select_related("user").filter(hashed_key=ApiKey.hash(raw)).first()
        if key is None or not key.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed("The key's user is inactive.")
        touch_last_used(ApiKey, key)
        return key.user, key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A Vigil API key (vgl_...)."}
