from django.urls import path

from channels import test_send_views

# Included by ccm/urls.py into the "templates_store" namespace: the test send is a button
# of the studio's version page.
urlpatterns = [
    path(
        "versions/<int:pk>/test-send/",
        test_send_views.version_test_send_view,
        name="version_test_send",
    ),
    path("test-recipients/", test_send_views.test_recipients, name="test_recipients"),
    path(
        "test-recipients/phones/",
        test_send_views.test_recipient_phone_add,
        name="test_recipient_phone_add",
    ),
    path(
        "test-recipients/phones/confirm/",
        test_send_views.test_recipient_phone_confirm,
        name="test_recipient_phone_confirm",
    ),
    path(
        "test-recipients/phones/remove/",
        test_send_views.test_recipient_phone_remove,
        name="test_recipient_phone_remove",
    ),
]
