"""Teams' service keys on the API: /api/v1/service-keys/ (list, create, revoke), for Vigil admins and the
keys' teams' admins; everybody else 403. Both this and the dashboard call accounts.services."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import services
from accounts.models import ServiceKey
from vigil.audit import Actor

from .serializers import NewServiceKeySerializer, ServiceKeySerializer


class ManagesServiceKeys(permissions.IsAuthenticated):
    message = "Only Vigil admins and teams' admins manage service keys."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and services.manages_service_keys(request.user)


class ServiceKeyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The service keys of the teams you administer (a Vigil admin: every team's). Creating one returns
    the key once."""

    serializer_class = ServiceKeySerializer
    permission_classes = [ManagesServiceKeys]

    def get_queryset(self):
        teams = services.managed_teams(self.request.user)
        return ServiceKey.objects.filter(team__in=teams).select_related("team", "user", "created_by")

    @extend_schema(request=ServiceKeySerializer, responses={201: NewServiceKeySerializer})
    def create(self, request, *args, **kwargs):
        serializer = ServiceKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            key, raw = services.do_create_service_key(
                Actor.from_request(request),
                data["team"],
                data["name"],
                scope=data.get("scope", ServiceKey.Scope.READ),
                kinds=data.get("kinds", []),
                expires_at=data.get("expires_at"),
            )
        except services.NotAllowed as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except services.Invalid as exc:
            raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from exc
        key.key = raw
        return Response(NewServiceKeySerializer(key).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ServiceKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        try:
            key = services.do_revoke_service_key(Actor.from_request(request), self.get_object())
        except services.NotAllowed as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(ServiceKeySerializer(key).data)
