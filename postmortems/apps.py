from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "postmortems"
    verbose_name = "Post-mortems"
    # What a responder may add and change (vigil.roles); deleting an action item is an admin's.
    responder_models = ["postmortem", "actionitem"]
