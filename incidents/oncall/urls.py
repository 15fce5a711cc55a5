from django.urls import path

from . import views

app_name = "oncall"
urlpatterns = [
    path("", views.index, name="index"),
    path("schedules/new/", views.schedule_new, name="schedule_new"),
    path("schedules/<int:pk>/", views.schedule_detail, name="schedule"),
    path("schedules/<int:pk>/edit/", views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:pk>/delete/", views.schedule_delete, name="schedule_delete"),
    path("schedules/<int:pk>/rotations/new/", views.rotation_new, name="rotation_new"),
    path("rotations/<int:pk>/edit/", views.rotation_edit, name="rotation_edit"),
    path("rotations/<int:pk>/delete/", views.rotation_delete, name="rotation_delete"),
    path("rotations/<int:pk>/move/", views.rotation_move, name="rotation_move"),
    path("schedules/<int:pk>/overrides/", views.add_override, name="add_override"),
    path("schedules/<int:pk>/swaps/", views.request_swap, name="request_swap"),
    path("schedules/<int:pk>/<str:token>.ics", views.schedule_feed, name="schedule_feed"),
    path("overrides/<int:pk>/delete/", views.delete_override, name="delete_override"),
    path("swaps/<int:pk>/accept/", views.accept_swap, name="accept_swap"),
    path("swaps/<int:pk>/decline/", views.decline_swap, name="decline_swap"),
    path("swaps/<int:pk>/cancel/", views.cancel_swap, name="cancel_swap"),
    path("schedules/<int:pk>/rotate-feed/", views.rotate_schedule_feed, name="rotate_schedule_feed"),
    path("feeds/rotate/", views.rotate_my_feed, name="rotate_my_feed"),
    path("feeds/<str:token>.ics", views.user_feed, name="user_feed"),
]
