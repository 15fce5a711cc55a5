from django.urls import path

from . import views

app_name = "dr_plans"
urlpatterns = [path("", views.plan_list, name="list")]
