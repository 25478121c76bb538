from django.urls import path

from insight import views

app_name = "insight"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("communications/<slug:key>/", views.communication_detail, name="communication"),
    path("communications/<slug:key>/goals/", views.goal_add, name="goal_add"),
    path("communications/<slug:key>/goals/<int:pk>/delete/", views.goal_delete, name="goal_delete"),
    path("communications/<slug:key>/survey/", views.survey_save, name="survey_save"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("export/<slug:figure>.csv", views.export_csv, name="export"),
]
