from django.apps import AppConfig


class ChatConfig(AppConfig):
    """Chat front doors (issue #18): Slack (commands, buttons, incident channels, DM pages) and
    Microsoft Teams cards. Uses incidents' actions and listens to its signals; incidents imports nothing
    of it. comms sends Slack DMs through chat.slack (a Slack DM is one of a person's notification rules)."""

    name = "chat"
    verbose_name = "Chat (Slack, Microsoft Teams)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers

        receivers.connect()
