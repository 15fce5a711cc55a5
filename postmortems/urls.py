from django.urls import path

from . import views

app_name = "postmortems"
urlpatterns = [
    path("", views.postmortem_list, name="list"),
    path("reports/", views.reports, name="reports"),
    path("draft/<int:incident_pk>/", views.postmortem_draft, name="draft"),
    path("<int:pk>/", views.postmortem_detail, name="detail"),
    path("<int:pk>/edit/", views.postmortem_edit, name="edit"),
    path("<int:pk>/timeline/", views.postmortem_timeline, name="timeline"),
    path("<int:pk>/reviewers/", views.postmortem_reviewers, name="reviewers"),
    path("<int:pk>/submit/", views.postmortem_submit, name="submit"),
    path("<int:pk>/return-to-draft/", views.postmortem_return_to_draft, name="return_to_draft"),
    path("<int:pk>/sign-off/", views.postmortem_sign_off, name="sign_off"),
    path("<int:pk>/publish/", views.postmortem_publish, name="publish"),
    path("<int:pk>/export.md", views.postmortem_markdown, name="markdown"),
    path("<int:pk>/print/", views.postmortem_print, name="print"),
    path("action-items/", views.action_item_list, name="action_items"),
    path("action-items/new/", views.action_item_create, name="action_item_create"),
    path("action-items/<int:pk>/", views.action_item_detail, name="action_item"),
    path("action-items/<int:pk>/edit/", views.action_item_edit, name="action_item_edit"),
]
