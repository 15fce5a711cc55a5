from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from monitoring import confirmation, redundancy, services
from monitoring.models import MaintenanceWindow, Monitor, RedundancyGroup
from monitoring.uptime import uptime_windows
from vigil import privacy
from vigil.api.errors import model_errors
from vigil.api.permissions import action_permission
from vigil.audit import Actor

from .serializers import (
    CheckResultSerializer,
    LocationStatusSerializer,
    MaintenanceFilterSerializer,
    MaintenanceWindowSerializer,
    MonitorFilterSerializer,
    MonitorSerializer,
    ProbeResultSerializer,
    RedundancyGroupSerializer,
    ResultFilterSerializer,
    StateChangeSerializer,
    TimeFilterSerializer,
    UptimeSerializer,
)

# Pausing, resuming and testing need change_monitor, which responders hold (monitoring.apps).
OPERATE = action_permission("monitoring.change_monitor")
# Testing settings not saved yet: only those who may create monitors (admins) may probe what they describe.
CREATE = action_permission("monitoring.add_monitor")
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def _filters(serializer_class, request) -> dict:
    filters = serializer_class(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data


def _between(rows, field: str, filters: dict):
    if "since" in filters:
        rows = rows.filter(**{f"{field}__gte": filters["since"]})
    if "until" in filters:
        rows = rows.filter(**{f"{field}__lt": filters["until"]})
    return rows


ACTIONS = ["pause", "resume", "test_now", "test"]
WRITES = ["create", "update", "partial_update"]


@extend_validation_errors(
    ["invalid"], field_name=NON_FIELD, actions=[*ACTIONS, *WRITES], methods=["post", "put", "patch"]
)
@extend_validation_errors(["invalid"], field_name="parents", actions=WRITES, methods=["post", "put", "patch"])
@extend_validation_errors(["invalid_choice"], field_name="state", actions=["list"], methods=["get"])
@extend_validation_errors(["invalid_choice"], field_name="kind", actions=["list"], methods=["get"])
@extend_validation_errors(
    ["does_not_exist", "incorrect_type"], field_name="component", actions=["list"], methods=["get"]
)
@extend_validation_errors(
    ["max_length", "blank", "null_characters_not_allowed"], field_name="search", actions=["list"], methods=["get"]
)
@extend_validation_errors(["invalid"], field_name="since", actions=["results", "history"], methods=["get"])
@extend_validation_errors(["invalid"], field_name="until", actions=["results", "history"], methods=["get"])
@extend_validation_errors(["invalid_choice"], field_name="outcome", actions=["results"], methods=["get"])
@extend_schema_view(list=extend_schema(parameters=[MonitorFilterSerializer]))
class MonitorViewSet(viewsets.ModelViewSet):
    """Monitors. Admins create, edit and delete them; responders may pause, resume and test them.

    Settings are checked per kind by the model (the probe engine's own checks).
    """

    queryset = redundancy.with_redundancy(
        Monitor.objects.select_related("component").prefetch_related("parents", "locations")
    )
    serializer_class = MonitorSerializer

    def get_queryset(self):
        monitors = super().get_queryset()
        if self.action != "list":
            return monitors
        filters = _filters(MonitorFilterSerializer, self.request)
        for name in ("state", "kind", "component"):
            if name in filters:
                monitors = monitors.filter(**{name: filters[name]})
        if filters.get("search"):
            text = filters["search"]
            found = monitors.filter(name__icontains=text)
            # Searching a target one can only see masked would spell it out letter by letter (vigil.privacy).
            if privacy.may_see(self.request.user, privacy.rule_for("monitoring.Monitor.target")):
                found = found | monitors.filter(target__icontains=text)
            monitors = found
        return monitors

    def _annotated(self, monitor: Monitor) -> Monitor:
        return self.get_queryset().get(pk=monitor.pk)

    def perform_create(self, serializer):
        with model_errors(serializer):
            monitor = services.do_create_monitor(Actor.from_request(self.request), **serializer.validated_data)
        serializer.instance = self._annotated(monitor)

    def perform_update(self, serializer):
        actor = Actor.from_request(self.request)
        with model_errors(serializer):
            monitor = services.do_update_monitor(actor, serializer.instance, **serializer.validated_data)
        serializer.instance = self._annotated(monitor)

    def perform_destroy(self, instance):
        services.do_delete(Actor.from_request(self.request), instance)

    def _act(self, action_fn, monitor: Monitor | None = None):
        try:
            return action_fn(Actor.from_request(self.request), monitor or self.get_object())
        except services.TooManyTests as exc:
            raise Throttled(wait=exc.wait, detail=str(exc)) from exc
        except services.ActionError as exc:
            raise ValidationError({NON_FIELD: [str(exc)]}) from exc

    @extend_schema(request=None, responses=MonitorSerializer)
    @action(detail=True, methods=["post"], permission_classes=[OPERATE])
    def pause(self, request, pk=None):
        """Stop checking the monitor: no probe and no alert until it is resumed."""
        return Response(self.get_serializer(self._annotated(self._act(services.do_pause))).data)

    @extend_schema(request=None, responses=MonitorSerializer)
    @action(detail=True, methods=["post"], permission_classes=[OPERATE])
    def resume(self, request, pk=None):
        """Check a paused monitor again, from a clean slate."""
        return Response(self.get_serializer(self._annotated(self._act(services.do_resume))).data)

    @extend_schema(request=None, responses=MonitorSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="rotate-ping-url",
        permission_classes=[action_permission("monitoring.rotate_ping_url")],
    )
    def rotate_ping_url(self, request, pk=None):
        """Heartbeats: a new ping URL (admins only). The old one answers 404 from now on."""
        monitor = self._act(services.do_rotate_ping_url)
        return Response(self.get_serializer(self._annotated(monitor)).data)

    @extend_schema(request=None, responses=ProbeResultSerializer)
    @action(detail=True, methods=["post"], url_path="test-now", permission_classes=[OPERATE])
    def test_now(self, request, pk=None):
        """Probe the monitor once, now, and answer with what the probe found. Nothing is recorded."""
        return Response(ProbeResultSerializer(self._act(services.do_test_now)).data)

    @extend_schema(request=MonitorSerializer, responses=ProbeResultSerializer)
    @action(detail=False, methods=["post"], url_path="test", permission_classes=[CREATE])
    def test(self, request):
        """Probe settings before saving them (as for creating a monitor) and answer with what the probe
        found: the same action, limits and address rule as test-now. Nothing is saved or recorded."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        settings = serializer.validated_data.items()
        monitor = Monitor(**{name: value for name, value in settings if name not in ("parents", "locations")})
        with model_errors(serializer):
            monitor.full_clean(validate_unique=False)
        return Response(ProbeResultSerializer(self._act(services.do_test_now, monitor)).data)

    @extend_schema(parameters=[ResultFilterSerializer], responses=CheckResultSerializer(many=True))
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """The monitor's raw check results, newest first (kept for a limited time)."""
        filters = _filters(ResultFilterSerializer, request)
        results = _between(self.get_object().results.select_related("location"), "checked_at", filters)
        if "outcome" in filters:
            outcome = {label.lower(): value for value, label in results.model.Outcome.choices}[filters["outcome"]]
            results = results.filter(outcome=outcome)
        page = self.paginate_queryset(results)
        return self.get_paginated_response(CheckResultSerializer(page, many=True).data)

    @extend_schema(parameters=[TimeFilterSerializer], responses=StateChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The monitor's state changes, newest first."""
        changes = _between(self.get_object().state_changes.all(), "at", _filters(TimeFilterSerializer, request))
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(StateChangeSerializer(page, many=True).data)

    @extend_schema(responses=LocationStatusSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="locations", pagination_class=None)
    def location_status(self, request, pk=None):
        """What each of the monitor's locations sees: its latest outcome, latency and time, whether it
        still counts towards confirmation, and its uptime and average latency over 24 hours."""
        rows = confirmation.per_location(self.get_object(), timezone.now())
        return Response(LocationStatusSerializer(rows, many=True).data)

    @extend_schema(responses=UptimeSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def uptime(self, request, pk=None):
        """Uptime over the last 24 hours, 7, 30 and 90 days, read from the rollups."""
        monitor = self.get_object()
        figures = uptime_windows([monitor.pk])[monitor.pk]
        return Response(UptimeSerializer({f"uptime_{window}": share for window, share in figures.items()}).data)


@extend_validation_errors(["invalid"], field_name=NON_FIELD, actions=WRITES, methods=["post", "put", "patch"])
@extend_validation_errors(["does_not_exist", "incorrect_type"], field_name="monitor", actions=["list"], methods=["get"])
@extend_validation_errors(
    ["does_not_exist", "incorrect_type"], field_name="component", actions=["list"], methods=["get"]
)
@extend_validation_errors(["invalid"], field_name="current", actions=["list"], methods=["get"])
@extend_schema_view(list=extend_schema(parameters=[MaintenanceFilterSerializer]))
class MaintenanceWindowViewSet(viewsets.ModelViewSet):
    """Maintenance windows: a monitor, or every monitor of a component, is checked but alerts nobody."""

    queryset = MaintenanceWindow.objects.select_related("created_by")
    serializer_class = MaintenanceWindowSerializer

    def get_queryset(self):
        windows = super().get_queryset()
        if self.action != "list":
            return windows
        filters = _filters(MaintenanceFilterSerializer, self.request)
        for name in ("monitor", "component"):
            if name in filters:
                windows = windows.filter(**{name: filters[name]})
        if filters.get("current"):
            windows = windows.filter(ends_at__gt=timezone.now())
        return windows

    def perform_create(self, serializer):
        with model_errors(serializer):
            serializer.instance = services.do_add_maintenance(
                Actor.from_request(self.request), **serializer.validated_data
            )

    def perform_update(self, serializer):
        actor = Actor.from_request(self.request)
        with model_errors(serializer):
            serializer.instance = services.do_change_maintenance(
                actor, serializer.instance, **serializer.validated_data
            )

    def perform_destroy(self, instance):
        services.do_delete_maintenance(Actor.from_request(self.request), instance)


@extend_validation_errors(["invalid"], field_name=NON_FIELD, actions=WRITES, methods=["post", "put", "patch"])
class RedundancyGroupViewSet(viewsets.ModelViewSet):
    """Groups of replicas (two regions, two load balancers): one member down is "redundancy lost",
    all down an outage, in one incident. Admins manage them; monitors join through redundancy_group."""

    queryset = RedundancyGroup.objects.prefetch_related("monitors")
    serializer_class = RedundancyGroupSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["redundancy"] = redundancy.group_redundancy(RedundancyGroup.objects.values_list("pk", flat=True))
        return context

    def perform_create(self, serializer):
        with model_errors(serializer):
            serializer.instance = redundancy.do_create_redundancy_group(
                Actor.from_request(self.request), **serializer.validated_data
            )

    def perform_update(self, serializer):
        actor = Actor.from_request(self.request)
        with model_errors(serializer):
            serializer.instance = redundancy.do_rename_redundancy_group(
                actor, serializer.instance, **serializer.validated_data
            )

    def perform_destroy(self, instance):
        redundancy.do_delete_redundancy_group(Actor.from_request(self.request), instance)
