from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil import services
from vigil.audit import Actor
from vigil.models import ApiKey
from vigil.roles import role_of

from .serializers import ApiKeySerializer, MeSerializer, NewApiKeySerializer


class MeView(APIView):
    """Who the API thinks you are, and what your role lets you do."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        role = role_of(user)
        data = {
            "username": user.get_username(),
            "email": user.email,
            "role": role.value if role else None,
            "permissions": sorted(user.get_all_permissions()),
        }
        return Response(MeSerializer(data).data)


class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Your API keys (an admin sees everyone's). Creating one returns the key once."""

    queryset = ApiKey.objects.select_related("user")
    serializer_class = ApiKeySerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        keys = super().get_queryset()
        if self.request.user.has_perm("vigil.view_apikey"):
            return keys
        return keys.filter(user=self.request.user)

    @extend_schema(request=ApiKeySerializer, responses={201: NewApiKeySerializer})
    def create(self, request, *args, **kwargs):
        serializer = ApiKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            key, raw = services.do_create_api_key(
                Actor.from_request(request), request.user, serializer.validated_data["name"]
            )
        except services.PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        key.key = raw
        return Response(NewApiKeySerializer(key).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        key = self.get_object()
        try:
            key = services.do_revoke_api_key(Actor.from_request(request), key)
        except services.PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(ApiKeySerializer(key).data)
