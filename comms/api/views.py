from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from comms import csvio, services
from comms.models import Endpoint, IncidentAudience, Notification, Stakeholder, StakeholderGroup, State
from comms.progress import update_counts
from incidents.models import IncidentUpdate
from vigil.api.permissions import action_permission
from vigil.audit import Actor

from .serializers import (
    EndpointSerializer,
    ImportResultSerializer,
    ImportSerializer,
    IncidentAudienceSerializer,
    NotificationFilterSerializer,
    NotificationSerializer,
    ProgressQuerySerializer,
    ProgressSerializer,
    RetryResultSerializer,
    StakeholderGroupSerializer,
    StakeholderSerializer,
)


class StakeholderGroupViewSet(viewsets.ModelViewSet):
    """Writes go through comms.services' actions: audited, and so named when config manages the group."""

    queryset = StakeholderGroup.objects.all()
    serializer_class = StakeholderGroupSerializer

    def perform_create(self, serializer):
        actor = Actor.from_request(self.request)
        serializer.instance = services.do_create_stakeholder_group(actor, **serializer.validated_data)

    def perform_update(self, serializer):
        actor = Actor.from_request(self.request)
        serializer.instance = services.do_update_stakeholder_group(
            actor, serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.do_delete_stakeholder_group(Actor.from_request(self.request), instance)


@extend_validation_errors(["invalid"], field_name="non_field_errors", actions=["import_csv"], methods=["post"])
class StakeholderViewSet(viewsets.ModelViewSet):
    queryset = Stakeholder.objects.prefetch_related("groups", "components")
    serializer_class = StakeholderSerializer

    @extend_schema(request=ImportSerializer, responses=ImportResultSerializer)
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        permission_classes=[action_permission("comms.add_stakeholder")],
    )
    def import_csv(self, request):
        """Import stakeholders from CSV (comms.csvio's columns). Bad rows are listed and skipped; dry_run previews."""
        form = ImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            if form.validated_data["dry_run"]:
                rows, created, updated = csvio.read(form.validated_data["csv"]), 0, 0
            else:
                rows, created, updated = services.do_import_stakeholders(
                    Actor.from_request(request), form.validated_data["csv"]
                )
        except csvio.CsvError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        bad = [{"line": r.line, "name": r.values.get("name", ""), "errors": r.errors} for r in rows if r.errors]
        result = {"created": created, "updated": updated, "good": len(rows) - len(bad), "bad": bad}
        return Response(ImportResultSerializer(result).data)


class EndpointViewSet(viewsets.ModelViewSet):
    """Where every public update is also posted: outgoing webhooks, Slack, Mastodon. Admins only."""

    queryset = Endpoint.objects.all()
    serializer_class = EndpointSerializer


class IncidentAudienceViewSet(viewsets.ModelViewSet):
    """The groups chosen to hear an incident's public updates."""

    queryset = IncidentAudience.objects.prefetch_related("groups").order_by("pk")
    serializer_class = IncidentAudienceSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.do_set_audience(
            Actor.from_request(self.request), data["incident"], data.get("groups", [])
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        groups = data.get("groups", serializer.instance.groups.all())
        incident = data.get("incident", serializer.instance.incident)
        serializer.instance = services.do_set_audience(Actor.from_request(self.request), incident, groups)


RETRY = action_permission("comms.retry_notification")


@extend_validation_errors(["invalid_choice"], field_name="state", actions=["list"], methods=["get"])
@extend_validation_errors(["invalid_choice"], field_name="channel", actions=["list"], methods=["get"])
@extend_validation_errors(
    ["invalid", "max_string_length", "min_value", "max_value"], field_name="update", actions=["list"], methods=["get"]
)
@extend_validation_errors(
    ["invalid", "required", "null", "max_string_length", "min_value", "max_value"],
    field_name="update",
    actions=["progress"],
    methods=["get"],
)
@extend_schema_view(list=extend_schema(parameters=[NotificationFilterSerializer]))
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The outbox: one row per message, with its state and attempts."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer

    def get_queryset(self):
        rows = super().get_queryset()
        if self.action != "list":
            return rows
        filters = NotificationFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        for name in ("state", "channel", "update"):
            if filters.validated_data.get(name):
                rows = rows.filter(**{name: filters.validated_data[name]})
        return rows

    @extend_schema(request=None, responses=RetryResultSerializer)
    @action(detail=True, methods=["post"], permission_classes=[RETRY])
    def retry(self, request, pk=None):
        """Queue a failed message again (any other state is left alone)."""
        row = self.get_object()
        count = services.do_retry(Actor.from_request(request), Notification.objects.filter(pk=row.pk))
        return Response({"retried": count})

    @extend_schema(request=None, responses=RetryResultSerializer)
    @action(detail=False, methods=["post"], url_path="retry-failed", permission_classes=[RETRY])
    def retry_failed(self, request):
        count = services.do_retry(Actor.from_request(request), Notification.objects.filter(state=State.FAILED))
        return Response({"retried": count}, status=status.HTTP_200_OK)

    @extend_schema(
        parameters=[ProgressQuerySerializer],
        responses=ProgressSerializer,
    )
    @action(detail=False, methods=["get"])
    def progress(self, request):
        """How far one update's fan-out has gone: counts by state."""
        query = ProgressQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            update = IncidentUpdate.objects.get(pk=query.validated_data["update"])
        except IncidentUpdate.DoesNotExist:
            raise ValidationError({"update": ["No incident update has this id."]}) from None
        return Response(ProgressSerializer(update_counts(update)).data)
