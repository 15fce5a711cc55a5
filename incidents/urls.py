from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("declare/", views.declare, name="declare"),
    path("declare/preview/", views.declare_preview, name="declare_preview"),
    path("ack/<str:token>/", views.acknowledge_from_link, name="ack"),
    path("components/", views.component_list, name="components"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/escalate/", views.escalate, name="escalate"),
    path("<int:pk>/page/", views.page_oncall, name="page"),
    path("<int:pk>/escalation/", views.start_escalation, name="start_escalation"),
    path("<int:pk>/severity/", views.change_severity, name="severity"),
    path("<int:pk>/status/", views.change_status, name="status"),
    path("<int:pk>/roles/", views.assign_role, name="role"),
    path("<int:pk>/war-room/", views.war_room, name="war_room"),
    path("<int:pk>/components/", views.set_components, name="components_set"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/updates/", views.post_update, name="update"),
    path("<int:pk>/updates/preview/", views.update_preview, name="update_preview"),
    path("<int:pk>/notes/", views.add_note, name="note"),
]
