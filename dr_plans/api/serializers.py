from django.utils import timezone
from rest_framework import serializers

from dr_plans.models import Backup, CallTreeLevel, Drill, DrillStep, DRPlan, PlanVersion, Step, Vendor
from dr_plans.services.common import restore_max_age_days
from vigil.people import people
from vigil.privacy import SensitiveFieldsMixin

# A call tree's people and the vendors are comms stakeholders (dr_plans.models.contacts): the model is
# the one this app's own relation names, so the app imports none beside it (issue #16).
Stakeholder = CallTreeLevel.people.field.related_model


class DRPlanSerializer(serializers.ModelSerializer):
    latest_version = serializers.SerializerMethodField()
    review_due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    needs_review = serializers.SerializerMethodField(
        help_text="Something (an action item targeting the plan) asked for a review that is not done yet."
    )

    class Meta:
        model = DRPlan
        fields = [
            "id", "name", "description", "team", "components", "owner", "approver", "rto_minutes", "rpo_minutes",
            "review_every_days", "vendors", "status", "latest_version", "last_reviewed_at", "review_due_at",
            "needs_review", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["status", "last_reviewed_at", "created_at", "updated_at"]

    def get_latest_version(self, plan) -> int | None:
        version = plan.latest_version()
        return version.number if version else None

    def get_needs_review(self, plan) -> bool:
        count = getattr(plan, "open_review_requests", None)  # annotated by DRPlanViewSet
        if count is None:
            return plan.review_requests.filter(closed_at__isnull=True).exists()
        return count > 0


class PlanVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanVersion
        fields = ["id", "plan", "number", "snapshot", "approved_by", "approved_by_label", "approved_at", "note"]
        read_only_fields = fields


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = Step
        fields = [
            "id", "plan", "position", "section", "title", "instructions", "owner_role", "expected_minutes",
            "command", "link",
        ]  # fmt: skip
        extra_kwargs = {"position": {"required": False}}

    def validate_plan(self, plan):
        if self.instance is not None and plan.pk != self.instance.plan_id:
            raise serializers.ValidationError("A step cannot move to another plan.")
        if plan.status == DRPlan.Status.RETIRED:
            raise serializers.ValidationError("A retired plan is read-only.")
        return plan


class BackupSerializer(serializers.ModelSerializer):
    misses_rpo_of = serializers.SerializerMethodField(help_text="Plans whose RPO this backup's frequency cannot meet.")
    restore_stale = serializers.SerializerMethodField(help_text="No restore verified recently enough.")
    late = serializers.SerializerMethodField(help_text="A run was missed.")

    class Meta:
        model = Backup
        fields = [
            "id", "system", "contents", "method", "frequency_minutes", "retention_days", "location", "plans",
            "last_success_at", "last_restore_verified_at", "last_restore_minutes", "misses_rpo_of", "restore_stale",
            "late",
        ]  # fmt: skip

    def get_misses_rpo_of(self, backup) -> list[int]:
        return [plan.pk for plan in backup.plans_missed()]

    def get_restore_stale(self, backup) -> bool:
        return backup.restore_is_stale(timezone.now(), restore_max_age_days())

    def get_late(self, backup) -> bool:
        return backup.is_late(timezone.now())


class DrillStepSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.SerializerMethodField()

    class Meta:
        model = DrillStep
        fields = [
            "id", "drill", "position", "section", "title", "instructions", "command", "expected_minutes",
            "started_at", "finished_at", "duration_seconds", "notes", "problem",
        ]  # fmt: skip
        read_only_fields = fields

    def get_duration_seconds(self, step) -> float | None:
        return step.duration.total_seconds() if step.duration is not None else None


class DrillSerializer(serializers.ModelSerializer):
    participants = serializers.PrimaryKeyRelatedField(many=True, required=False, queryset=people())
    steps = DrillStepSerializer(many=True, read_only=True)
    recovery_minutes = serializers.FloatField(read_only=True, allow_null=True)
    rto_met = serializers.BooleanField(read_only=True, allow_null=True)
    rpo_met = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = Drill
        fields = [
            "id", "plan", "version", "scenario", "scheduled_for", "repeat_every_days", "participants", "status",
            "started_at", "finished_at", "target_rto_minutes", "target_rpo_minutes", "data_loss_minutes",
            "recovery_minutes", "rto_met", "rpo_met", "passed", "findings", "steps",
        ]  # fmt: skip
        read_only_fields = [
            "version", "status", "started_at", "finished_at", "target_rto_minutes", "target_rpo_minutes",
            "data_loss_minutes", "passed", "findings",
        ]  # fmt: skip


class ContactSerializer(SensitiveFieldsMixin, serializers.ModelSerializer):
    """A comms stakeholder as a DR contact: who, and how to reach them."""

    # Plain strings: either may be blank, which a read-only EmailField's schema (format: email) does not allow.
    email = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True, help_text="E.164, or blank.")

    class Meta:
        model = Stakeholder
        fields = ["id", "name", "organisation", "phone", "email"]
        read_only_fields = fields
        sensitive_fields = ["phone", "email"]  # vigil.privacy: masked for viewers


class CallTreeLevelSerializer(serializers.ModelSerializer):
    people = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Stakeholder.objects.all(), help_text="Comms stakeholders called at this level."
    )
    contacts = ContactSerializer(source="people", many=True, read_only=True)

    class Meta:
        model = CallTreeLevel
        fields = ["id", "plan", "position", "people", "contacts", "escalate_after_minutes", "when"]

    def validate_plan(self, plan):
        if self.instance is not None and plan.pk != self.instance.plan_id:
            raise serializers.ValidationError("A call-tree level cannot move to another plan.")
        return plan


class VendorSerializer(serializers.ModelSerializer):
    contact = ContactSerializer(source="stakeholder", read_only=True)
    plans = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=DRPlan.objects.all(), help_text="The plans that list this vendor."
    )

    class Meta:
        model = Vendor
        fields = ["id", "stakeholder", "contact", "account_number", "sla", "escalation_path", "plans"]


class ApproveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ReviewSerializer(serializers.Serializer):
    changes = serializers.CharField(max_length=10_000)


class StepFinishSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    problem = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class DrillFinishSerializer(serializers.Serializer):
    data_loss_minutes = serializers.IntegerField(min_value=0, max_value=365 * 24 * 60)
    findings = serializers.CharField(required=False, allow_blank=True, max_length=20_000, default="")


class PlanFilterSerializer(serializers.Serializer):
    plan = serializers.IntegerField(required=False, help_text="Only rows of this plan.")
