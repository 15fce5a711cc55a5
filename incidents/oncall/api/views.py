"""The on-call API: schedules, rotations, overrides, swap requests, who is on call.

Viewsets validate, call the one action in incidents.oncall.services, and render.
The role is checked by permission classes (model permissions); who may act for
whom is the action's business, and its refusal is a 403.
"""

from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.models import Override, Rotation, RotationMember, Schedule, SwapRequest
from vigil.api.permissions import action_permission
from vigil.audit import Actor

from .. import ical, services
from ..schedule import OUTLOOK_HORIZONS, load_plan, load_plans, merge_by_user, outlook
from .serializers import (
    OnCallQuerySerializer,
    OnCallResponseSerializer,
    OverrideFilterSerializer,
    OverrideSerializer,
    PersonalFeedRotateSerializer,
    PersonalFeedSerializer,
    RotationSerializer,
    ScheduleSerializer,
    ShiftQuerySerializer,
    ShiftSerializer,
    SwapFilterSerializer,
    SwapRequestSerializer,
)


@contextmanager
def service_errors(state_field: str = "status"):
    """Turn an action's refusals into API errors: 400 by field, 403 for acting on someone else's behalf."""
    try:
        yield
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            detail = {("non_field_errors" if k == NON_FIELD_ERRORS else k): v for k, v in exc.message_dict.items()}
        else:
            detail = {"non_field_errors": exc.messages}
        raise exceptions.ValidationError(detail) from exc
    except services.ActionError as exc:
        raise exceptions.ValidationError({state_field: [str(exc)]}) from exc
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc


# Query parameters are checked by serializers; these are the codes their errors carry.
DATETIME_CODES = ["invalid", "date", "make_aware", "overflow"]
ID_CODES = ["invalid", "max_string_length", "min_value", "max_value"]


def _members():
    return Prefetch("members", queryset=RotationMember.objects.select_related("user").order_by("position", "id"))


# A service may refuse a period (starts_at/ends_at: "invalid" is already documented for
# them), an admin-only field, or the whole request (non_field_errors).
@extend_validation_errors(["invalid"], field_name="non_field_errors", methods=["post", "put", "patch", "delete"])
@extend_validation_errors(["invalid"], field_name="time_zone", methods=["post", "put", "patch"])
@extend_validation_errors(DATETIME_CODES, field_name="start", actions=["shifts"], methods=["get"])
@extend_validation_errors(DATETIME_CODES, field_name="end", actions=["shifts"], methods=["get"])
@extend_schema_view(
    destroy=extend_schema(description="Refused (400) while an escalation policy pages this schedule."),
    shifts=extend_schema(parameters=[ShiftQuerySerializer], responses=ShiftSerializer(many=True)),
)
class ScheduleViewSet(viewsets.ModelViewSet):
    """On-call schedules with their rotations. Admins write; everyone signed in reads."""

    queryset = Schedule.objects.select_related("team").prefetch_related(
        Prefetch("rotations", Rotation.objects.prefetch_related(_members()))
    )
    serializer_class = ScheduleSerializer

    def perform_create(self, serializer):
        with service_errors():
            serializer.instance = services.do_create_schedule(
                Actor.from_request(self.request), **serializer.validated_data
            )

    def perform_update(self, serializer):
        with service_errors():
            serializer.instance = services.do_update_schedule(
                Actor.from_request(self.request), serializer.instance, **serializer.validated_data
            )

    def perform_destroy(self, instance):
        with service_errors(state_field="non_field_errors"):
            services.do_delete_schedule(Actor.from_request(self.request), instance)

    @extend_schema(request=None, responses=ScheduleSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="rotate-feed",
        permission_classes=[action_permission("incidents.change_schedule")],
    )
    def rotate_feed(self, request, pk=None):
        """A new secret in the schedule's calendar URL (admins only); the old URL answers 404 from now on."""
        with service_errors(state_field="non_field_errors"):
            schedule = services.do_rotate_schedule_feed(Actor.from_request(request), self.get_object())
        return Response(self.get_serializer(schedule).data)

    @action(detail=True, methods=["get"], pagination_class=None)
    def shifts(self, request, pk=None):
        """The final schedule over a window: who is on call when, overrides and layers applied."""
        schedule = self.get_object()
        query = ShiftQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        shifts = merge_by_user(load_plan(schedule, start, end).final_shifts(start, end))
        return Response(ShiftSerializer(shifts, many=True).data)


@extend_validation_errors(["invalid"], field_name="non_field_errors", methods=["post", "put", "patch"])
@extend_validation_errors(
    ["invalid", "does_not_exist", "incorrect_type"], field_name="members", methods=["post", "put", "patch"]
)
class RotationViewSet(viewsets.ModelViewSet):
    """Rotations: who takes turns, how long each shift is, and which layer wins. Admins write."""

    queryset = Rotation.objects.select_related("schedule").prefetch_related(_members())
    serializer_class = RotationSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        with service_errors():
            serializer.instance = services.do_create_rotation(
                Actor.from_request(self.request), data.pop("schedule"), **data
            )

    def perform_update(self, serializer):
        with service_errors():
            serializer.instance = services.do_update_rotation(
                Actor.from_request(self.request), serializer.instance, **serializer.validated_data
            )
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        with service_errors():
            services.do_delete_rotation(Actor.from_request(self.request), instance)


@extend_validation_errors(["invalid"], field_name="non_field_errors", methods=["post"])
@extend_validation_errors(["invalid"], field_name="user", methods=["post"])
@extend_validation_errors(ID_CODES, field_name="schedule", actions=["list"], methods=["get"])
@extend_validation_errors(ID_CODES, field_name="user", actions=["list"], methods=["get"])
@extend_validation_errors(["invalid"], field_name="upcoming", actions=["list"], methods=["get"])
@extend_validation_errors(["invalid"], field_name="status", methods=["delete"])
@extend_schema_view(
    list=extend_schema(parameters=[OverrideFilterSerializer]),
    create=extend_schema(description="Responders add overrides for themselves; admins for anyone (else 403)."),
    destroy=extend_schema(
        description="The person covering, the one who added it, or an admin (else 403). An override that is over stays."
    ),
)
class OverrideViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Overrides: someone covers a stretch of a schedule, whatever the rotations say."""

    queryset = Override.objects.select_related("swap").order_by("starts_at", "id")
    serializer_class = OverrideSerializer

    def get_permissions(self):
        if self.action == "destroy":
            # Responders remove their own (the action checks whose); the model's delete
            # permission would keep that to admins.
            return [action_permission("incidents.change_override")()]
        return super().get_permissions()

    def get_queryset(self):
        overrides = super().get_queryset()
        if self.action != "list":
            return overrides
        query = OverrideFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        if "schedule" in filters:
            overrides = overrides.filter(schedule_id=filters["schedule"])
        if "user" in filters:
            overrides = overrides.filter(user_id=filters["user"])
        if filters.get("upcoming"):
            overrides = overrides.filter(ends_at__gt=timezone.now())
        return overrides

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.setdefault("user", self.request.user)
        with service_errors():
            serializer.instance = services.do_add_override(
                Actor.from_request(self.request), data.pop("schedule"), **data
            )

    def perform_destroy(self, instance):
        with service_errors():
            services.do_delete_override(Actor.from_request(self.request), instance)


# Already decided or expired: 400 on `status`. Not yours to decide: 403 (only the person
# asked accepts or declines; only the one who asked cancels).
DECISION = extend_schema(request=None, responses=SwapRequestSerializer)


@extend_validation_errors(["invalid"], field_name="status", actions=["accept", "decline", "cancel"], methods=["post"])
@extend_validation_errors(["invalid"], field_name="covering_user", actions=["create"], methods=["post"])
@extend_validation_errors(["invalid"], field_name="non_field_errors", actions=["create"], methods=["post"])
@extend_validation_errors(ID_CODES, field_name="schedule", actions=["list"], methods=["get"])
@extend_validation_errors(["invalid_choice"], field_name="status", actions=["list"], methods=["get"])
@extend_schema_view(
    list=extend_schema(parameters=[SwapFilterSerializer]),
    create=extend_schema(description="Ask someone to take a stretch of your shifts (you must be the one on call)."),
)
class SwapRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Swap requests. The person asked accepts with one POST, which makes the override."""

    queryset = SwapRequest.objects.order_by("-created_at", "-id")
    serializer_class = SwapRequestSerializer

    def get_queryset(self):
        swaps = super().get_queryset()
        if self.action != "list":
            return swaps
        query = SwapFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        if "schedule" in filters:
            swaps = swaps.filter(schedule_id=filters["schedule"])
        if "status" in filters:
            swaps = swaps.filter(status=filters["status"])
        return swaps

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        with service_errors():
            serializer.instance = services.do_request_swap(
                Actor.from_request(self.request), data.pop("schedule"), **data
            )

    def _decide(self, request, action_fn):
        swap = self.get_object()
        with service_errors():
            swap = action_fn(Actor.from_request(request), swap)
        return Response(SwapRequestSerializer(swap).data)

    @DECISION
    @action(detail=True, methods=["post"], permission_classes=[action_permission("incidents.change_swaprequest")])
    def accept(self, request, pk=None):
        """The person asked takes the stretch: the swap is accepted and their override made, once."""
        return self._decide(request, services.do_accept_swap)

    @DECISION
    @action(detail=True, methods=["post"], permission_classes=[action_permission("incidents.change_swaprequest")])
    def decline(self, request, pk=None):
        """The person asked says no."""
        return self._decide(request, services.do_decline_swap)

    @DECISION
    @action(detail=True, methods=["post"], permission_classes=[action_permission("incidents.change_swaprequest")])
    def cancel(self, request, pk=None):
        """The person who asked takes the request back."""
        return self._decide(request, services.do_cancel_swap)


@extend_validation_errors(DATETIME_CODES, field_name="at", methods=["get"])
class OnCallView(APIView):
    """Who is on call on every schedule at a moment (default now), and until when."""

    permission_classes = [action_permission("incidents.view_schedule")]

    @extend_schema(parameters=[OnCallQuerySerializer], responses=OnCallResponseSerializer)
    def get(self, request):
        query = OnCallQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        at = query.validated_data.get("at") or timezone.now()
        schedules = list(Schedule.objects.all())
        plans = load_plans(schedules, at, at + OUTLOOK_HORIZONS[-1])
        outlooks = [outlook(plans[s.pk], at, handoffs=0) for s in schedules]
        return Response(OnCallResponseSerializer({"at": at, "schedules": outlooks}).data)


class PersonalFeedView(APIView):
    """Your own calendar feed link (GET), and a new one (POST): the old one stops working. Admins may
    rotate anyone's by naming them; nobody reads another person's link."""

    permission_classes = [action_permission("incidents.view_schedule")]

    def _answer(self, user, own: bool = True):
        url = ical.user_feed_url(user) if own else None
        return Response(PersonalFeedSerializer({"username": user.get_username(), "url": url}).data)

    @extend_schema(responses=PersonalFeedSerializer)
    def get(self, request):
        return self._answer(request.user)

    @extend_schema(request=PersonalFeedRotateSerializer, responses=PersonalFeedSerializer)
    def post(self, request):
        form = PersonalFeedRotateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = form.validated_data.get("user") or request.user
        with service_errors(state_field="non_field_errors"):
            services.do_rotate_personal_feed(Actor.from_request(request), user)
        return self._answer(user, own=user.pk == request.user.pk)
