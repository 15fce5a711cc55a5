from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.models import Alert, ChangeEvent, Integration
from vigil.api.permissions import action_permission
from vigil.audit import Actor

from .. import changes, services
from ..reads import FreshAlertsMixin
from .serializers import (
    AlertFilterSerializer,
    AlertSerializer,
    ChangeEventSerializer,
    ChangeFilterSerializer,
    IntegrationSerializer,
    IntegrationUpdateSerializer,
)

# Change events are what integrations report: whoever may see integrations may see them.
VIEW_INTEGRATIONS = action_permission("incidents.view_integration")


class IntegrationViewSet(FreshAlertsMixin, viewsets.ModelViewSet):
    """Where alerts come in. Admins manage them and see their URL and token; others read the rest."""

    queryset = Integration.objects.prefetch_related("components").order_by("name", "pk")
    serializer_class = IntegrationSerializer

    def get_queryset(self):
        return super().get_queryset().annotate(firing=Count("alerts", filter=Q(alerts__status=Alert.Status.FIRING)))

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return IntegrationUpdateSerializer
        return IntegrationSerializer

    def perform_create(self, serializer):
        actor = Actor.from_request(self.request)
        serializer.instance = services.do_create_integration(actor, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.do_update_integration(
            Actor.from_request(self.request), serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.do_delete_integration(Actor.from_request(self.request), instance)

    @extend_schema(request=None, responses=IntegrationSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="rotate-token",
        permission_classes=[action_permission("incidents.change_integration")],
    )
    def rotate_token(self, request, pk=None):
        """A new secret URL; the old one stops working at once."""
        integration = services.do_rotate_token(Actor.from_request(request), self.get_object())
        return Response(self.get_serializer(integration).data)


# An unknown `status` or a malformed `integration` filter is a 400 naming the parameter.
@extend_validation_errors(["invalid_choice"], field_name="status", actions=["list"], methods=["get"])
@extend_validation_errors(
    ["invalid", "max_string_length", "min_value", "max_value"],
    field_name="integration",
    actions=["list"],
    methods=["get"],
)
@extend_schema_view(list=extend_schema(parameters=[AlertFilterSerializer]))
class AlertViewSet(FreshAlertsMixin, viewsets.ReadOnlyModelViewSet):
    """Alerts as received, newest first. Read-only: they change only by what their integration sends."""

    queryset = Alert.objects.order_by("-last_received_at", "-pk")
    serializer_class = AlertSerializer

    def get_queryset(self):
        alerts = super().get_queryset()
        if self.action != "list":
            return alerts
        filters = AlertFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if filters.validated_data.get("status"):
            alerts = alerts.filter(status=filters.validated_data["status"])
        if filters.validated_data.get("integration"):
            alerts = alerts.filter(integration_id=filters.validated_data["integration"])
        return alerts


# A malformed filter is a 400 naming the parameter.
@extend_validation_errors(
    ["invalid", "max_string_length", "min_value", "max_value"],
    field_name="integration",
    actions=["list"],
    methods=["get"],
)
@extend_validation_errors(
    ["invalid", "max_string_length", "min_value", "max_value"],
    field_name="component",
    actions=["list"],
    methods=["get"],
)
@extend_validation_errors(["invalid"], field_name="since", actions=["list"], methods=["get"])
@extend_validation_errors(["invalid"], field_name="until", actions=["list"], methods=["get"])
@extend_schema_view(list=extend_schema(parameters=[ChangeFilterSerializer]))
class ChangeEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Change events (deploys, config pushes) sent through integrations, newest first. Read-only:
    they are facts a tool reported (incidents.integrations.changes)."""

    queryset = ChangeEvent.objects.select_related("integration").order_by("-timestamp", "-pk")
    serializer_class = ChangeEventSerializer
    permission_classes = [VIEW_INTEGRATIONS]

    def get_queryset(self):
        events = super().get_queryset()
        if self.action != "list":
            return events
        filters = ChangeFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return changes.filter_changes(events, **filters.validated_data)
