from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("<str:external_id>/", views.customer_detail, name="customer_detail"),
]
