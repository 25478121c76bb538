from django.urls import path

from channels import api, api_webhooks

urlpatterns = [
    path("batches", api.BatchListCreateView.as_view(), name="api-batch-list"),
    path("batches/<int:pk>", api.BatchDetailView.as_view(), name="api-batch-detail"),
    path("batches/<int:pk>/cancel", api.BatchCancelView.as_view(), name="api-batch-cancel"),
    path(
        "batches/<int:pk>/messages", api.BatchMessageListView.as_view(), name="api-batch-messages"
    ),
    path("messages", api.MessageCreateView.as_view(), name="api-message-create"),
    path("messages/<int:pk>", api.MessageDetailView.as_view(), name="api-message-detail"),
    path(
        "webhooks/endpoints",
        api_webhooks.WebhookEndpointListCreateView.as_view(),
        name="api-webhook-endpoints",
    ),
    path(
        "webhooks/deliveries",
        api_webhooks.WebhookDeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhooks/deliveries/<int:pk>/retry",
        api_webhooks.WebhookDeliveryRetryView.as_view(),
        name="api-webhook-retry",
    ),
]
