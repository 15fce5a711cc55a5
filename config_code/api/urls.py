from django.urls import path

from .views import ApplyView, PlanView, SchemaView

urlpatterns = [
    path("config/schema.json", SchemaView.as_view(), name="config-schema"),
    path("config/plan", PlanView.as_view(), name="config-plan"),
    path("config/apply", ApplyView.as_view(), name="config-apply"),
]
