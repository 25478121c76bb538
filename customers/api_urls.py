from django.urls import path

from customers import api

urlpatterns = [
    path("customers", api.CustomerUpsertView.as_view(), name="api-customer-upsert"),
    path(
        "customers/<str:external_id>", api.CustomerDetailView.as_view(), name="api-customer-detail"
    ),
]
