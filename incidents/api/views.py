from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from incidents import component_actions, paging_actions, services
from incidents.integrations.api.serializers import ChangeEventSerializer
from incidents.integrations.changes import recent_changes
from incidents.models import Component, ComponentGroup, EscalationPolicy, Incident, Page, SeverityDefinition
from incidents.oncall import import_actions as policies
from vigil.api.errors import model_errors
from vigil.api.permissions import RoleModelPermissions, action_permission
from vigil.audit import Actor

from .serializers import (
    ComponentGroupSerializer,
    ComponentSerializer,
    ComponentsSerializer,
    DeclareSerializer,
    EscalationPolicySerializer,
    EscalationStartSerializer,
    IncidentEventSerializer,
    IncidentFilterSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
    MergeSerializer,
    MessageSerializer,
    NoteSerializer,
    PageOncallSerializer,
    PageSerializer,
    PostUpdateSerializer,
    RoleSerializer,
    SeverityDefinitionSerializer,
    SeveritySerializer,
    StatusSerializer,
)


class ThroughActions:
    """Updates and deletions through the app's actions: the model's checks, and an audit entry naming
    the door (and, for an object config manages, its key: vigil.managed)."""

    update_action: staticmethod
    delete_action: staticmethod

    def perform_update(self, serializer):
        with model_errors(serializer):
            actor = Actor.from_request(self.request)
            serializer.instance = self.update_action(actor, serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        self.delete_action(Actor.from_request(self.request), instance)


class ComponentViewSet(ThroughActions, viewsets.ModelViewSet):
    """What customers see break. Admins edit; everyone signed in reads."""

    queryset = Component.objects.select_related("group")
    serializer_class = ComponentSerializer
    update_action = staticmethod(component_actions.do_update_component)
    delete_action = staticmethod(component_actions.do_delete_component)

    def perform_update(self, serializer):
        """The settings through the action; a status an admin sets by hand (the incidents set it otherwise,
        and do_update_component refuses it) is saved as it always was, the status page following."""
        status = serializer.validated_data.pop("status", None)
        super().perform_update(serializer)
        component = serializer.instance
        if status is not None and status != component.status:
            component.status = status
            component.save(update_fields=["status", "updated_at"])


class ComponentGroupViewSet(ThroughActions, viewsets.ModelViewSet):
    queryset = ComponentGroup.objects.all()
    serializer_class = ComponentGroupSerializer
    update_action = staticmethod(component_actions.do_update_component_group)
    delete_action = staticmethod(component_actions.do_delete_component_group)


class SeverityDefinitionViewSet(viewsets.ModelViewSet):
    """What each severity means here; shown when declaring. Admins edit."""

    queryset = SeverityDefinition.objects.all()
    serializer_class = SeverityDefinitionSerializer


class EscalationPolicyViewSet(ThroughActions, viewsets.ModelViewSet):
    queryset = EscalationPolicy.objects.prefetch_related("levels__users", "levels__schedules")
    serializer_class = EscalationPolicySerializer
    update_action = staticmethod(policies.do_update_escalation_policy)
    delete_action = staticmethod(policies.do_delete_escalation_policy)


class PageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Pages sent to people about incidents."""

    queryset = Page.objects.select_related("user")
    serializer_class = PageSerializer


CHANGE = action_permission("incidents.change_incident")
ACTIONS = [
    "acknowledge", "resolve", "reopen", "escalate", "escalation", "page", "severity", "status", "components", "roles",
    "merge", "updates", "notes",
]  # fmt: skip


# A move the incident's present state does not allow (services.ActionError) is a 400 with the reason.
@extend_validation_errors(["invalid"], field_name="non_field_errors", actions=ACTIONS, methods=["post"])
@extend_validation_errors(["invalid_choice"], field_name="status", actions=["list"], methods=["get"])
@extend_validation_errors(["invalid_choice"], field_name="severity", actions=["list"], methods=["get"])
@extend_schema_view(list=extend_schema(parameters=[IncidentFilterSerializer]))
class IncidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Incidents. Creating one declares it; every change goes through the actions below, as in the dashboard."""

    queryset = (
        Incident.objects.by_urgency().select_related("commander", "comms_lead", "scribe").prefetch_related("affected")
    )
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
        if filters.validated_data.get("severity"):
            incidents = incidents.filter(severity=filters.validated_data["severity"])
        return incidents

    @extend_schema(request=DeclareSerializer, responses={201: IncidentSerializer, 200: IncidentSerializer})
    def create(self, request, *args, **kwargs):
        form = DeclareSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        incident, created = services.do_declare(Actor.from_request(request), **form.validated_data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(IncidentSerializer(incident).data, status=code)

    def _act(self, request, action_fn, form_class=None, to_kwargs=None):
        """Validate the body with FORM_CLASS, run the action, answer with the incident."""
        incident = self.get_object()
        kwargs = {}
        if form_class is not None:
            form = form_class(data=request.data)
            form.is_valid(raise_exception=True)
            kwargs = to_kwargs(form.validated_data) if to_kwargs else form.validated_data
        try:
            result = action_fn(Actor.from_request(request), incident, **kwargs)
        except services.ActionError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        return result

    def _incident(self, pk):
        return Response(IncidentSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=None, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def acknowledge(self, request, pk=None):
        self._act(request, services.do_acknowledge)
        return self._incident(pk)

    @extend_schema(request=MessageSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def resolve(self, request, pk=None):
        self._act(request, services.do_resolve, MessageSerializer)
        return self._incident(pk)

    @extend_schema(request=MessageSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def reopen(self, request, pk=None):
        self._act(request, services.do_reopen, MessageSerializer)
        return self._incident(pk)

    @extend_schema(request=None, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def escalate(self, request, pk=None):
        self._act(request, paging_actions.do_escalate)
        return self._incident(pk)

    @extend_schema(request=EscalationStartSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def escalation(self, request, pk=None):
        self._act(request, paging_actions.do_start_escalation, EscalationStartSerializer)
        return self._incident(pk)

    @extend_schema(request=PageOncallSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def page(self, request, pk=None):
        """Page the on-call: the given policy, or the one the dashboard's *Page the on-call* would use."""
        self._act(request, paging_actions.do_page_oncall, PageOncallSerializer)
        return self._incident(pk)

    @extend_schema(request=SeveritySerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def severity(self, request, pk=None):
        self._act(request, services.do_change_severity, SeveritySerializer)
        return self._incident(pk)

    @extend_schema(request=StatusSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def status(self, request, pk=None):
        self._act(request, services.do_change_status, StatusSerializer)
        return self._incident(pk)

    @extend_schema(request=ComponentsSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def components(self, request, pk=None):
        def to_kwargs(data):
            return {"components": {row["component"]: row["status"] for row in data["components"]}}

        self._act(request, services.do_set_components, ComponentsSerializer, to_kwargs)
        return self._incident(pk)

    @extend_schema(request=RoleSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def roles(self, request, pk=None):
        self._act(request, services.do_assign_role, RoleSerializer)
        return self._incident(pk)

    @extend_schema(request=MergeSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def merge(self, request, pk=None):
        into = self._act(request, services.do_merge, MergeSerializer)
        return self._incident(into.pk)

    @extend_schema(request=PostUpdateSerializer, responses={201: IncidentUpdateSerializer})
    @action(detail=True, methods=["post"], permission_classes=[action_permission("incidents.add_incidentupdate")])
    def updates(self, request, pk=None):
        update = self._act(request, services.do_post_update, PostUpdateSerializer)
        return Response(IncidentUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NoteSerializer, responses={201: IncidentEventSerializer})
    @action(detail=True, methods=["post"], permission_classes=[action_permission("incidents.add_incidentevent")])
    def notes(self, request, pk=None):
        event = self._act(request, services.do_add_note, NoteSerializer)
        return Response(IncidentEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=IncidentEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def timeline(self, request, pk=None):
        return Response(IncidentEventSerializer(self.get_object().events.all(), many=True).data)

    @extend_schema(responses=IncidentUpdateSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="public-updates", pagination_class=None)
    def public_updates(self, request, pk=None):
        return Response(IncidentUpdateSerializer(self.get_object().updates.all(), many=True).data)

    @extend_schema(responses=ChangeEventSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        permission_classes=[RoleModelPermissions, action_permission("incidents.view_integration")],
    )
    def changes(self, request, pk=None):
        """The incident page's *Recent changes*: the last changes of its components' integrations,
        from two hours before it started until it ended, newest first."""
        events = [change.event for change in recent_changes(self.get_object())]
        return Response(ChangeEventSerializer(events, many=True).data)
