from django.urls import path

from templates_store import (
    exchange_views,
    matrix_views,
    publishing_views,
    views_communications,
    views_previews,
    views_review,
    views_versions,
)

# Included by ccm/urls.py into the "templates_store" namespace, with the test sends
# (channels/test_send_urls.py).

urlpatterns = [
    path("", views_communications.communication_list, name="communication_list"),
    path("new/", views_communications.communication_create, name="communication_create"),
    path("matrix/", matrix_views.communication_matrix_view, name="communication_matrix"),
    path("import/", exchange_views.communication_import, name="communication_import"),
    path("<int:pk>/", views_communications.communication_detail, name="communication_detail"),
    path("<int:pk>/export/", exchange_views.communication_export, name="communication_export"),
    path("<int:pk>/versions/new/", views_communications.version_create, name="version_create"),
    path("versions/<int:pk>/", views_versions.version_detail, name="version_detail"),
    path("versions/<int:pk>/save/", views_versions.version_save, name="version_save"),
    path(
        "versions/<int:pk>/variants/<str:channel>/<str:locale>/delete/",
        views_versions.variant_delete,
        name="variant_delete",
    ),
    path(
        "versions/<int:pk>/preview/",
        views_previews.version_preview_live,
        name="version_preview_live",
    ),
    path(
        "versions/<int:pk>/preview/letter.pdf",
        views_previews.version_preview_pdf,
        name="version_preview_pdf",
    ),
    path("versions/<int:pk>/checks/", views_versions.version_checks, name="version_checks"),
    path("versions/<int:pk>/submit/", views_versions.version_submit, name="version_submit"),
    path("reviews/", views_review.review_list, name="review_list"),
    path("reviews/<int:pk>/", views_review.review_detail, name="review_detail"),
    path("reviews/<int:pk>/approve/", views_review.version_approve, name="version_approve"),
    path("reviews/<int:pk>/reject/", views_review.version_reject, name="version_reject"),
    path("reviews/<int:pk>/publish/", publishing_views.version_publish, name="version_publish"),
    path(
        "reviews/<int:pk>/unschedule/",
        publishing_views.version_unschedule,
        name="version_unschedule",
    ),
]

# Shared content: blocks and brand themes.
from templates_store.urls_shared import urlpatterns as shared_urlpatterns  # noqa: E402

urlpatterns += shared_urlpatterns
