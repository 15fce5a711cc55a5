"""What the DR-plans app announces. This app's own receivers (dr_plans.notices) mail the people concerned.

Each is sent after the transaction that made the change commits, with sender=DRPlan or Drill:
- review_due: plan=<DRPlan>, due_at=<datetime>, overdue=<bool>. Sent once per plan, due date and kind
  (due soon, overdue) by the sweep beat runs hourly (dr_plans.tasks.remind_reviews); the owner is plan.owner.
- plan_reviewed: plan, review=<PlanReview>, actor.
- review_requested: plan, request=<ReviewRequest>, actor. Something (an action item targeting the plan)
  asked for a review before the due date; sent once per open request.
- plan_approved: plan, version=<PlanVersion>, actor.
- drill_scheduled: drill=<Drill>, actor. The participants are drill.participants.
- drill_finished: drill, actor.
"""

from django.dispatch import Signal

review_due = Signal()
plan_reviewed = Signal()
review_requested = Signal()
plan_approved = Signal()
drill_scheduled = Signal()
drill_finished = Signal()
