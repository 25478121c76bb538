"""Public pages: a customer answers a survey from a link (no account; the token is signed)."""

from django.urls import path

from insight import views

app_name = "survey"

urlpatterns = [
    path("<str:token>/", views.survey_answer, name="answer"),
]
