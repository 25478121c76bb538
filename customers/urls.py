from django.urls import path

from customers import views

# Included by ccm/urls.py into the "customers" namespace, with insight's customer page.
urlpatterns = [
    path("", views.customer_list, name="customer_list"),
]
