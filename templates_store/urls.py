from django.urls import path

from templates_store import views

app_name = "templates_store"

urlpatterns: list = []
