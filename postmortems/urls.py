from django.urls import path

from . import views

app_name = "postmortems"
urlpatterns = [
    path("", views.postmortem_list, name="list"),
    path("reports/", views.reports, name="reports"),
    path("action-items/", views.action_item_list, name="action_items"),
    path("action-items/new/", views.action_item_create, name="action_item_create"),
    path("action-items/<int:pk>/", views.action_item_detail, name="action_item"),
    path("action-items/<int:pk>/edit/", views.action_item_edit, name="action_item_edit"),
]
