"""Teams' service keys on the API: `Authorization: Bearer vgs_...` (REST_FRAMEWORK's authentication
classes, before personal keys). A key of another kind is left to the next class."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from vigil.api.authentication import bearer_key, touch_last_used

from .models import ServiceKey


class ServiceKeyAuthentication(authentication.BaseAuthentication):
    """The request acts as the key's service account. Revoked, expired or team deleted: 401 saying which."""

    def authenticate(self, request):
        raw = bearer_key(request)
        if raw is None or not raw.startswith(ServiceKey.PREFIX):
            return None
        key = ServiceKey.objects.select_related("user").filter(hashed_key=ServiceKey.hash(raw)).first()
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown service key.")
        refusal = key.refusal()
        if refusal:
            raise exceptions.AuthenticationFailed(refusal)
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed("This service key's account is inactive.")
        touch_last_used(ServiceKey, key)
        return key.user, key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ServiceKeyScheme(OpenApiAuthenticationExtension):
    target_class = ServiceKeyAuthentication
    name = "serviceKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A team's service key (vgs_...)."}
