from django.urls import path

from compliance import audit_views, hold_views, views

app_name = "compliance"

urlpatterns = [
    path("", views.entry_list, name="entry_list"),
    path("export/", views.search_export, name="search_export"),
    path("<int:pk>/", views.entry_detail, name="entry_detail"),
    path("<int:pk>/artifact/", views.entry_artifact, name="entry_artifact"),
    path("<int:pk>/export/", views.entry_export, name="entry_export"),
    path("<int:pk>/rerender/", views.entry_rerender, name="entry_rerender"),
    path("holds/", hold_views.hold_list, name="hold_list"),
    path("holds/place/", hold_views.hold_create, name="hold_create"),
    path("holds/<int:pk>/release/", hold_views.hold_release, name="hold_release"),
    path("integrity/", audit_views.integrity, name="integrity"),
    path("integrity/verify/", audit_views.integrity_verify, name="integrity_verify"),
    path("integrity/seals.json", audit_views.seal_export, name="seal_export"),
    path("access-log/", audit_views.access_log, name="access_log"),
]
