from django.urls import path

from . import my_views, provider_callbacks, views
from .push import views as push_views

app_name = "comms"
urlpatterns = [
    path("", views.stakeholder_list, name="stakeholders"),
    path("stakeholders/new/", views.stakeholder_new, name="stakeholder_new"),
    path("stakeholders/<int:pk>/edit/", views.stakeholder_edit, name="stakeholder_edit"),
    path("stakeholders/import/", views.stakeholder_import, name="import"),
    path("stakeholders/export.csv", views.stakeholder_export, name="export"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/retry/", views.retry, name="retry"),
    path("incidents/<int:pk>/", views.incident_comms, name="incident"),
    path("hooks/twilio/voice-ack/<str:token>/", views.voice_ack, name="voice_ack"),
    path("hooks/ntfy/ack/<str:token>/", views.ntfy_ack, name="ntfy_ack"),
    # Web Push (comms.push): a responder's devices, and the ack a notification's button posts.
    path("devices/", push_views.devices, name="devices"),
    path("devices/subscribe/", push_views.subscribe, name="push_subscribe"),
    path("devices/<int:pk>/remove/", push_views.remove, name="push_remove"),
    path("push/ack/<str:token>/", push_views.acknowledge, name="push_ack"),
    # A person's own paging settings and test pages (comms.my_views).
    path("me/notifications/", my_views.my_notifications, name="my_notifications"),
    path("me/notifications/rules/<int:pk>/<str:action>/", my_views.rule_action, name="my_rule"),
    path("me/notifications/tests/<int:pk>/", my_views.test_panel, name="my_test_page"),
    path("hooks/twilio/status/<int:pk>/", provider_callbacks.twilio_status, name="twilio_status"),
    path("hooks/twilio/sms/", provider_callbacks.twilio_sms, name="twilio_sms"),
    path("hooks/vonage/dlr/<str:token>/", provider_callbacks.vonage_dlr, name="vonage_dlr"),
    path("hooks/vonage/voice/<str:token>/", provider_callbacks.vonage_voice_ack, name="vonage_voice_ack"),
    path("hooks/vonage/call-event/<str:token>/", provider_callbacks.vonage_voice_event, name="vonage_voice_event"),
    path("hooks/sendgrid/events/", provider_callbacks.sendgrid_events, name="sendgrid_events"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<slug:event>/", views.template_edit, name="template_edit"),
]
