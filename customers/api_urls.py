from django.urls import path

from customers import api

urlpatterns = [
    path("customers", api.CustomerUpsertView.as_view(), name="api-customer-upsert"),
]
