from django.urls import path

from compliance import api

urlpatterns = [
    path("archive", api.ArchiveEntryListView.as_view(), name="api-archive-list"),
    path("archive/<int:pk>", api.ArchiveEntryDetailView.as_view(), name="api-archive-detail"),
]
