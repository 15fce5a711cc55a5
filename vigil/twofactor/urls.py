from django.urls import path

from . import views

app_name = "two_factor"

urlpatterns = [
    path("", views.manage, name="manage"),
    path("verify/", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
    path("users/", views.users, name="users"),
    path("users/<int:pk>/reset/", views.reset, name="reset"),
]
