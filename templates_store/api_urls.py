from django.urls import path

from templates_store import api

urlpatterns = [
    path("communications", api.CommunicationListView.as_view(), name="api-communication-list"),
    path(
        "communications/<slug:key>",
        api.CommunicationDetailView.as_view(),
        name="api-communication-detail",
    ),
]
