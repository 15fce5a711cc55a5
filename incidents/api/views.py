from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from incidents import services
from incidents.models import Component, Incident
from vigil.api.permissions import action_permission
from vigil.audit import Actor

from .serializers import (
    ComponentSerializer,
    DeclareSerializer,
    IncidentEventSerializer,
    IncidentFilterSerializer,
    IncidentSerializer,
    MessageSerializer,
)


class ComponentViewSet(viewsets.ModelViewSet):
    """What customers see break. Admins edit; everyone signed in reads."""

    queryset = Component.objects.all()
    serializer_class = ComponentSerializer


# A move the incident's present state does not allow (services.ActionError) is a 400 on `status`,
# and so is an unknown `status` filter on the list.
@extend_validation_errors(["invalid"], field_name="status", actions=["acknowledge", "resolve"], methods=["post"])
@extend_validation_errors(["invalid_choice"], field_name="status", actions=["list"], methods=["get"])
@extend_schema_view(list=extend_schema(parameters=[IncidentFilterSerializer]))
class IncidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Incidents. Creating one declares it; state changes go through the actions below."""

    queryset = Incident.objects.by_urgency().prefetch_related("components")
    serializer_class = IncidentSerializer

    def get_queryset(self):
        incidents = super().get_queryset()
        if self.action != "list":
            return incidents
        filters = IncidentFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        status_filter = filters.validated_data.get("status")
        if status_filter == "open":
            incidents = incidents.open()
        elif status_filter:
            incidents = incidents.filter(status=status_filter)
        return incidents

    @extend_schema(request=DeclareSerializer, responses={201: IncidentSerializer, 200: IncidentSerializer})
    def create(self, request, *args, **kwargs):
        form = DeclareSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        incident, created = services.do_declare(Actor.from_request(request), **form.validated_data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(IncidentSerializer(incident).data, status=code)

    def _act(self, request, action_fn, **kwargs):
        incident = self.get_object()
        try:
            incident = action_fn(Actor.from_request(request), incident, **kwargs)
        except services.ActionError as exc:
            raise ValidationError({"status": [str(exc)]}) from exc
        return Response(IncidentSerializer(incident).data)

    @extend_schema(request=None, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[action_permission("incidents.change_incident")])
    def acknowledge(self, request, pk=None):
        return self._act(request, services.do_acknowledge)

    @extend_schema(request=MessageSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[action_permission("incidents.change_incident")])
    def resolve(self, request, pk=None):
        form = MessageSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._act(request, services.do_resolve, message=form.validated_data["message"])

    @extend_schema(request=MessageSerializer, responses={201: IncidentEventSerializer})
    @action(detail=True, methods=["post"], permission_classes=[action_permission("incidents.add_incidentevent")])
    def notes(self, request, pk=None):
        form = MessageSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        incident = self.get_object()
        try:
            event = services.do_add_note(Actor.from_request(request), incident, form.validated_data["message"])
        except services.ActionError as exc:
            raise ValidationError({"message": [str(exc)]}) from exc
        return Response(IncidentEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=IncidentEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def timeline(self, request, pk=None):
        return Response(IncidentEventSerializer(self.get_object().events.all(), many=True).data)
