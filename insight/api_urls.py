from django.urls import path

from insight import api

urlpatterns = [
    path("insight/figures", api.FiguresView.as_view(), name="api-insight-figures"),
    path(
        "insight/figures/<slug:figure>",
        api.FigureView.as_view(),
        name="api-insight-figure",
    ),
    path("insight/goals", api.GoalListView.as_view(), name="api-insight-goals"),
]
