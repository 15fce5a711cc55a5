from django.urls import include, path

app_name = "chat"

urlpatterns = [
    path("slack/", include("chat.slack.urls")),
]
