from django.urls import path

from channels import views

app_name = "channels"

urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("<int:pk>/", views.batch_detail, name="batch_detail"),
    path("<int:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("<int:pk>/cancel/", views.batch_cancel, name="batch_cancel"),
    path("upload/", views.batch_upload, name="batch_upload"),
    path("upload/<str:token>/", views.batch_upload_preview, name="batch_upload_preview"),
    path("upload/<str:token>/confirm/", views.batch_upload_confirm, name="batch_upload_confirm"),
    path("upload/<str:token>/discard/", views.batch_upload_discard, name="batch_upload_discard"),
]
