from django.urls import path

from templates_store import api, api_exchange, api_previews, api_review, api_versions

VERSION = "communications/<slug:key>/versions/<int:number>"

urlpatterns = [
    path("communications", api.CommunicationListView.as_view(), name="api-communication-list"),
    path(
        "communication-imports",
        api_exchange.CommunicationImportView.as_view(),
        name="api-communication-import",
    ),
    path(
        "communications/<slug:key>",
        api.CommunicationDetailView.as_view(),
        name="api-communication-detail",
    ),
    path(
        "communications/<slug:key>/schema",
        api.CommunicationSchemaView.as_view(),
        name="api-communication-schema",
    ),
    path(
        "communications/<slug:key>/export",
        api_exchange.CommunicationExportView.as_view(),
        name="api-communication-export",
    ),
    path(
        "communications/<slug:key>/versions",
        api_versions.VersionListCreateView.as_view(),
        name="api-version-list",
    ),
    path(VERSION, api_versions.VersionDetailView.as_view(), name="api-version-detail"),
    path(
        f"{VERSION}/sample-data",
        api_versions.SampleDataView.as_view(),
        name="api-version-sample-data",
    ),
    path(
        f"{VERSION}/variants/<str:channel>/<str:locale>",
        api_versions.VariantView.as_view(),
        name="api-version-variant",
    ),
    path(f"{VERSION}/lint", api_previews.LintView.as_view(), name="api-version-lint"),
    path(f"{VERSION}/preview", api_previews.PreviewView.as_view(), name="api-version-preview"),
    path(
        f"{VERSION}/preview/letter.pdf",
        api_previews.PreviewPdfView.as_view(),
        name="api-version-preview-pdf",
    ),
    path(f"{VERSION}/submit", api_review.SubmitView.as_view(), name="api-version-submit"),
    path(f"{VERSION}/approve", api_review.ApproveView.as_view(), name="api-version-approve"),
    path(f"{VERSION}/reject", api_review.RejectView.as_view(), name="api-version-reject"),
    path(f"{VERSION}/publish", api_review.PublishView.as_view(), name="api-version-publish"),
    path(
        f"{VERSION}/unschedule",
        api_review.UnscheduleView.as_view(),
        name="api-version-unschedule",
    ),
    path(f"{VERSION}/retire", api_review.RetireView.as_view(), name="api-version-retire"),
    path(f"{VERSION}/rollback", api_review.RollbackView.as_view(), name="api-version-rollback"),
    path(f"{VERSION}/export", api_exchange.VersionExportView.as_view(), name="api-version-export"),
]

# Shared content (read): blocks and brand theme versions.
from templates_store import api_shared  # noqa: E402

urlpatterns += [
    path("blocks", api_shared.BlockListView.as_view(), name="api-block-list"),
    path("blocks/<int:pk>", api_shared.BlockDetailView.as_view(), name="api-block-detail"),
    path("theme-versions", api_shared.ThemeVersionListView.as_view(), name="api-theme-list"),
]
