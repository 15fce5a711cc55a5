from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("", views.monitor_list, name="list"),
    # One page: HTTP(S) first, the other kinds a tab away (the name is kept for links made before).
    path("locations/", views.location_list, name="locations"),
    path("new/", views.create, name="choose_kind"),
    path("new/<str:kind>/", views.create, name="create"),
    path("new/<str:kind>/test/", views.test_new, name="test_new"),
    path("<int:pk>/", views.monitor_detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/edit/test/", views.test_edit, name="test_edit"),
    path("<int:pk>/pause/", views.pause, name="pause"),
    path("<int:pk>/resume/", views.resume, name="resume"),
    path("<int:pk>/test/", views.test_now, name="test_now"),
    path("<int:pk>/rotate-ping-url/", views.rotate_ping_url, name="rotate_ping_url"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/runs/<int:run>/screenshot.png", views.screenshot, name="screenshot"),
    path("<int:pk>/maintenance/", views.add_maintenance, name="add_maintenance"),
]
