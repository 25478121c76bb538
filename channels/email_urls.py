"""Public links inside emails: unsubscribe, click redirects, open pixel."""

from django.urls import path

from channels import email_views

app_name = "email_links"

urlpatterns = [
    path("u/<str:token>/", email_views.unsubscribe, name="unsubscribe"),
    path("c/<str:token>/", email_views.click, name="click"),
    path("o/<str:token>/", email_views.opened, name="open"),
]
