from django.urls import path

from . import views

app_name = "comms"
urlpatterns = [path("", views.stakeholder_list, name="stakeholders")]
