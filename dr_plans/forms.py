from django import forms

from incidents import providers
from vigil.people import people

from .models import Backup, CallTreeLevel, Drill, DRPlan, Step, Vendor


class PlanForm(forms.ModelForm):
    class Meta:
        model = DRPlan
        fields = [
            "name", "description", "team", "components", "owner", "approver", "rto_minutes", "rpo_minutes",
            "review_every_days", "vendors",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people()
        self.fields["approver"].queryset = people()


class StepForm(forms.ModelForm):
    link = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Step
        fields = ["section", "title", "instructions", "owner_role", "expected_minutes", "command", "link", "position"]
        widgets = {
            "instructions": forms.Textarea(attrs={"rows": 6}),
            "command": forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.fields["position"].help_text = "Order in the plan. Empty: after the last step."


class ApproveForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    changes = forms.CharField(
        label="What changed", max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Or 'no change'."
    )


class BackupForm(forms.ModelForm):
    class Meta:
        model = Backup
        fields = [
            "system", "contents", "method", "frequency_minutes", "retention_days", "location", "plans",
            "last_success_at", "last_restore_verified_at", "last_restore_minutes",
        ]  # fmt: skip
        widgets = {
            "last_success_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "last_restore_verified_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }


class CallTreeLevelForm(forms.ModelForm):
    class Meta:
        model = CallTreeLevel
        fields = ["position", "people", "escalate_after_minutes", "when"]


class VendorForm(forms.ModelForm):
    class Meta:
        model = Vendor
        fields = ["stakeholder", "account_number", "sla", "escalation_path"]
        widgets = {"escalation_path": forms.Textarea(attrs={"rows": 3})}


class DrillForm(forms.ModelForm):
    class Meta:
        model = Drill
        fields = ["scenario", "scheduled_for", "repeat_every_days", "participants"]
        widgets = {"scheduled_for": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = people()


class StepFinishForm(forms.Form):
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 1}))
    problem = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 1}))


class DrillFinishForm(forms.Form):
    data_loss_minutes = forms.IntegerField(
        label="Data-loss window (minutes)",
        min_value=0,
        max_value=365 * 24 * 60,
        help_text="How old was the newest data after recovery?",
    )
    findings = forms.CharField(required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))


class AttachPlanForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=DRPlan.objects.exclude(status=DRPlan.Status.RETIRED).filter(versions__isnull=False).distinct()
    )


class FindingForm(forms.Form):
    """One of a drill's findings, filed as an action item (postmortems.ActionItem) from the drill report.

    Its kinds and priorities are the action item's (incidents.providers.action_item_choices)."""

    title = forms.CharField(max_length=200)
    # The finding as written (it may be longer than a title); it also marks the finding as filed.
    details = forms.CharField(required=False, max_length=20_000, widget=forms.HiddenInput)
    kind = forms.ChoiceField()
    priority = forms.ChoiceField()
    owner = forms.ModelChoiceField(queryset=people(), required=False)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    updates_plan = forms.BooleanField(required=False, label="Changes the plan (flags it for review)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (choices, default) in providers.action_item_choices().items():
            self.fields[name].choices = choices
            self.fields[name].initial = default

    @classmethod
    def for_finding(cls, finding: str, number: int) -> "FindingForm":
        return cls(initial={"title": finding[:200], "details": finding}, auto_id=f"finding{number}_%s")
