from django.urls import path

from . import views

app_name = "postmortems"
urlpatterns = [
    path("", views.postmortem_list, name="list"),
    path("reports/", views.reports, name="reports"),
]
