from django.urls import path

from compliance import views

app_name = "compliance"

urlpatterns = [
    path("", views.entry_list, name="entry_list"),
    path("<int:pk>/", views.entry_detail, name="entry_detail"),
    path("<int:pk>/artifact/", views.entry_artifact, name="entry_artifact"),
    path("access-log/", views.access_log, name="access_log"),
]
