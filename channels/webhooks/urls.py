"""Routes the providers call: ESP tracking events (django-anymail's views behind the webhook
secret) and SMS delivery reports."""

from django.urls import URLPattern, URLResolver, path

from channels.webhooks import sms
from channels.webhooks.anymail import provider_webhook_urls

urlpatterns: list[URLPattern | URLResolver] = [
    path("anymail/", provider_webhook_urls()),
    path("webhooks/sms/dlr/<str:token>/", sms.sms_delivery_report, name="sms-dlr"),
]
