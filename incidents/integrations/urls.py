from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("", views.integration_list, name="list"),
    path("new/", views.integration_create, name="create"),
    path("<int:pk>/", views.integration_detail, name="detail"),
    path("<int:pk>/edit/", views.integration_edit, name="edit"),
    path("<int:pk>/rotate-token/", views.integration_rotate_token, name="rotate_token"),
    # The senders' URL: no login, the token is the credential (views.ingest).
    path("hooks/<str:kind>/<str:token>/", views.ingest, name="ingest"),
]
