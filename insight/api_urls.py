from django.urls import path

from insight import api, customer_api

urlpatterns = [
    path("insight/figures", api.FiguresView.as_view(), name="api-insight-figures"),
    path(
        "insight/figures/<slug:figure>",
        api.FigureView.as_view(),
        name="api-insight-figure",
    ),
    path("insight/goals", api.GoalListView.as_view(), name="api-insight-goals"),
    path(
        "customers/<str:external_id>",
        customer_api.CustomerDetailView.as_view(),
        name="api-customer-detail",
    ),
]
