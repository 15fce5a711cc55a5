from django.urls import path

from .views import checklists, config, drills, plans

app_name = "dr_plans"
urlpatterns = [
    path("", plans.plan_list, name="list"),
    path("new/", plans.plan_create, name="create"),
    path("<int:pk>/", plans.plan_detail, name="detail"),
    path("<int:pk>/edit/", plans.plan_edit, name="edit"),
    path("<int:pk>/approve/", plans.plan_approve, name="approve"),
    path("<int:pk>/review/", plans.plan_review, name="review"),
    path("<int:pk>/move/<str:move>/", plans.plan_move, name="move"),
    path("<int:pk>/steps/new/", plans.step_edit, name="step_create"),
    path("<int:pk>/steps/<int:step_id>/", plans.step_edit, name="step_edit"),
    path("<int:pk>/steps/<int:step_id>/delete/", plans.step_delete, name="step_delete"),
    path("<int:pk>/versions/<int:number>/", plans.version_detail, name="version"),
    path("<int:pk>/diff/", plans.version_diff, name="diff"),
    path("<int:pk>/export.md", plans.export_markdown, name="export"),
    path("<int:pk>/call-tree/new/", config.level_create, name="level_create"),
    path("<int:pk>/call-tree/<int:level_id>/delete/", config.level_delete, name="level_delete"),
    path("<int:pk>/vendors/new/", config.vendor_create, name="vendor_create"),
    path("<int:pk>/drills/new/", drills.drill_create, name="drill_create"),
    path("backups/", config.backup_list, name="backups"),
    path("backups/new/", config.backup_create, name="backup_create"),
    path("backups/<int:pk>/", config.backup_edit, name="backup_edit"),
    path("drills/<int:pk>/", drills.drill_detail, name="drill"),
    path("drills/<int:pk>/start/", drills.drill_start, name="drill_start"),
    path("drills/<int:pk>/cancel/", drills.drill_cancel, name="drill_cancel"),
    path("drills/<int:pk>/finish/", drills.drill_finish, name="drill_finish"),
    path("drills/<int:pk>/report/", drills.drill_report, name="drill_report"),
    path("drills/<int:pk>/action-items/", drills.file_finding, name="file_finding"),
    path("drills/<int:pk>/steps/<int:step_id>/start/", drills.step_start, name="drill_step_start"),
    path("drills/<int:pk>/steps/<int:step_id>/finish/", drills.step_finish, name="drill_step_finish"),
    path("incidents/<int:incident_id>/checklist/", checklists.incident_checklist, name="incident_checklist"),
    path("incidents/<int:incident_id>/checklist/attach/", checklists.attach_plan, name="attach_plan"),
    path("incidents/<int:incident_id>/checklist/items/<int:item_id>/", checklists.tick_item, name="tick_item"),
]
