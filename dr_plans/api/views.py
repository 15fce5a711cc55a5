from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from dr_plans import services
from dr_plans.models import Backup, CallTreeLevel, Drill, DrillStep, DRPlan, PlanVersion, Step, Vendor
from vigil.api.permissions import action_permission
from vigil.audit import Actor

from .serializers import (
    ApproveSerializer,
    BackupSerializer,
    CallTreeLevelSerializer,
    DrillFinishSerializer,
    DrillSerializer,
    DrillStepSerializer,
    DRPlanSerializer,
    PlanFilterSerializer,
    PlanVersionSerializer,
    ReviewSerializer,
    StepFinishSerializer,
    StepSerializer,
    VendorSerializer,
)


def run(request, action_fn, *args, **kwargs):
    """Run a service action: a refused move is a 400 with the reason, a finer rule a 403."""
    try:
        return action_fn(Actor.from_request(request), *args, **kwargs)
    except services.ActionError as exc:
        raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from exc
    except services.PermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc


class ByPlanMixin:
    """`?plan=<id>` narrows a list to one plan's rows."""

    def get_queryset(self):
        rows = super().get_queryset()
        if self.action != "list":
            return rows
        filters = PlanFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        plan = filters.validated_data.get("plan")
        return rows.filter(plan_id=plan) if plan else rows


CHANGE_PLAN = action_permission("dr_plans.change_drplan")
VIEW_PLAN = action_permission("dr_plans.view_drplan")
PLAN_ACTIONS = ["submit", "approve", "retire", "reopen", "reviews", "destroy"]


@extend_validation_errors(["invalid"], field_name="non_field_errors", actions=PLAN_ACTIONS, methods=["post", "delete"])
class DRPlanViewSet(viewsets.ModelViewSet):
    """DR plans. Status moves through the actions; approving freezes an immutable version."""

    queryset = (
        DRPlan.objects.select_related("owner", "approver")
        .prefetch_related("components", "vendors")
        .annotate(open_review_requests=Count("review_requests", filter=Q(review_requests__closed_at__isnull=True)))
        .order_by("name")  # Meta.ordering is not applied to a query with an aggregate
    )
    serializer_class = DRPlanSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        components, vendors = data.pop("components", []), data.pop("vendors", [])
        serializer.instance = run(self.request, services.do_create_plan, components=components, vendors=vendors, **data)

    def perform_update(self, serializer):
        serializer.instance = run(
            self.request, services.do_update_plan, serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        run(self.request, services.do_delete_plan, instance)

    def _moved(self, request, action_fn, **kwargs):
        run(request, action_fn, self.get_object(), **kwargs)
        return Response(DRPlanSerializer(self.get_queryset().get(pk=self.kwargs["pk"])).data)

    @extend_schema(request=None, responses=DRPlanSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE_PLAN])
    def submit(self, request, pk=None):
        return self._moved(request, services.do_submit)

    @extend_schema(request=None, responses=DRPlanSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE_PLAN])
    def retire(self, request, pk=None):
        return self._moved(request, services.do_retire)

    @extend_schema(request=None, responses=DRPlanSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE_PLAN])
    def reopen(self, request, pk=None):
        return self._moved(request, services.do_reopen)

    @extend_schema(request=ApproveSerializer, responses={201: PlanVersionSerializer})
    @action(detail=True, methods=["post"], permission_classes=[VIEW_PLAN])
    def approve(self, request, pk=None):
        """Admins, or the plan's own approver."""
        form = ApproveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        version = run(request, services.do_approve, self.get_object(), note=form.validated_data["note"])
        return Response(PlanVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSerializer, responses={201: DRPlanSerializer})
    @action(detail=True, methods=["post"], permission_classes=[VIEW_PLAN])
    def reviews(self, request, pk=None):
        """Record a review (the owner, the approver or an admin): it moves the next due date."""
        form = ReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        run(request, services.do_record_review, self.get_object(), form.validated_data["changes"])
        plan = self.get_queryset().get(pk=pk)
        return Response(DRPlanSerializer(plan).data, status=status.HTTP_201_CREATED)


@extend_validation_errors(["invalid"], field_name="plan", actions=["list"], methods=["get"])
@extend_schema_view(list=extend_schema(parameters=[PlanFilterSerializer]))
class PlanVersionViewSet(ByPlanMixin, viewsets.ReadOnlyModelViewSet):
    """Approved versions. They never change."""

    queryset = PlanVersion.objects.all()
    serializer_class = PlanVersionSerializer


@extend_validation_errors(["invalid"], field_name="plan", actions=["list"], methods=["get"])
@extend_validation_errors(["invalid"], field_name="non_field_errors", actions=["destroy"], methods=["delete"])
@extend_schema_view(list=extend_schema(parameters=[PlanFilterSerializer]))
class StepViewSet(ByPlanMixin, viewsets.ModelViewSet):
    """Runbook steps. Changing a step of an approved plan makes the plan a draft again."""

    queryset = Step.objects.all()
    serializer_class = StepSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        plan = data.pop("plan")
        serializer.instance = run(self.request, services.do_save_step, plan, None, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("plan", None)
        step = serializer.instance
        serializer.instance = run(self.request, services.do_save_step, step.plan, step, **data)

    def perform_destroy(self, instance):
        run(self.request, services.do_delete_step, instance)


class AuditedConfigMixin:
    """Configuration rows saved through the audited config actions, as the dashboard saves them."""

    def perform_create(self, serializer):
        services.do_save_serialized(Actor.from_request(self.request), serializer)

    def perform_update(self, serializer):
        services.do_save_serialized(Actor.from_request(self.request), serializer)

    def perform_destroy(self, instance):
        services.do_delete_config(Actor.from_request(self.request), instance)


class BackupViewSet(AuditedConfigMixin, viewsets.ModelViewSet):
    """The backups inventory, with the RPO, restore-age and missed-run flags."""

    queryset = Backup.objects.prefetch_related("plans")
    serializer_class = BackupSerializer


@extend_validation_errors(["invalid"], field_name="plan", actions=["list"], methods=["get"])
@extend_schema_view(list=extend_schema(parameters=[PlanFilterSerializer]))
class CallTreeLevelViewSet(ByPlanMixin, AuditedConfigMixin, viewsets.ModelViewSet):
    """A plan's escalation call tree: ordered levels of people (comms stakeholders), and when to move on."""

    queryset = CallTreeLevel.objects.prefetch_related("people")
    serializer_class = CallTreeLevelSerializer


@extend_validation_errors(["invalid"], field_name="plan", actions=["list"], methods=["get"])
@extend_schema_view(list=extend_schema(parameters=[PlanFilterSerializer]))
class VendorViewSet(AuditedConfigMixin, viewsets.ModelViewSet):
    """Third-party vendors: the comms stakeholder to call, account number, SLA and escalation path."""

    queryset = Vendor.objects.select_related("stakeholder").prefetch_related("plans")
    serializer_class = VendorSerializer

    def get_queryset(self):
        vendors = super().get_queryset()
        if self.action != "list":
            return vendors
        filters = PlanFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        plan = filters.validated_data.get("plan")
        return vendors.filter(plans=plan) if plan else vendors


CHANGE_DRILL = action_permission("dr_plans.change_drill")
CHANGE_STEP = action_permission("dr_plans.change_drillstep")


@extend_validation_errors(["invalid"], field_name="plan", actions=["list"], methods=["get"])
@extend_validation_errors(
    ["invalid"], field_name="non_field_errors", actions=["create", "start", "finish", "cancel"], methods=["post"]
)
@extend_schema_view(list=extend_schema(parameters=[PlanFilterSerializer]))
class DrillViewSet(
    ByPlanMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Drills. Creating one schedules it; start, finish and cancel run it, as in the dashboard."""

    queryset = Drill.objects.select_related("plan").prefetch_related("participants", "steps")
    serializer_class = DrillSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        plan = data.pop("plan")
        serializer.instance = run(self.request, services.do_schedule_drill, plan, **data)

    def _drill(self, pk):
        return Response(DrillSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=None, responses=DrillSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE_DRILL])
    def start(self, request, pk=None):
        run(request, services.do_start_drill, self.get_object())
        return self._drill(pk)

    @extend_schema(request=DrillFinishSerializer, responses=DrillSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE_DRILL])
    def finish(self, request, pk=None):
        form = DrillFinishSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        run(request, services.do_finish_drill, self.get_object(), **form.validated_data)
        return self._drill(pk)

    @extend_schema(request=None, responses=DrillSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE_DRILL])
    def cancel(self, request, pk=None):
        run(request, services.do_cancel_drill, self.get_object())
        return self._drill(pk)


@extend_validation_errors(["invalid"], field_name="non_field_errors", actions=["start", "finish"], methods=["post"])
class DrillStepViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A running drill's steps, each with its own start and finish time."""

    queryset = DrillStep.objects.all()
    serializer_class = DrillStepSerializer

    @extend_schema(request=None, responses=DrillStepSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE_STEP])
    def start(self, request, pk=None):
        return Response(DrillStepSerializer(run(request, services.do_start_step, self.get_object())).data)

    @extend_schema(request=StepFinishSerializer, responses=DrillStepSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE_STEP])
    def finish(self, request, pk=None):
        form = StepFinishSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        step = run(request, services.do_finish_step, self.get_object(), **form.validated_data)
        return Response(DrillStepSerializer(step).data)
