from django.urls import path

from insight import customer_views

# Included by ccm/urls.py into the "customers" namespace, next to customers/urls.py.
urlpatterns = [
    path("<str:external_id>/", customer_views.customer_detail, name="customer_detail"),
]
