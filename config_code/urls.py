from django.urls import path

from . import views

app_name = "config_code"
urlpatterns = [
    path("managed/<int:content_type_id>/<str:object_id>/release/", views.release, name="release"),
]
