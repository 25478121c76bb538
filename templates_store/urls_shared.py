"""Shared content pages (blocks and brand themes), included in templates_store.urls."""

from django.urls import path

from templates_store import views_blocks, views_shared, views_themes

urlpatterns = [
    path("shared/", views_shared.shared_list, name="shared_list"),
    path("shared/blocks/new/", views_blocks.block_create, name="block_create"),
    path("shared/blocks/<int:pk>/", views_blocks.block_detail, name="block_detail"),
    path(
        "shared/blocks/<int:pk>/versions/new/",
        views_blocks.block_version_create,
        name="block_version_create",
    ),
    path(
        "shared/blocks/versions/<int:pk>/",
        views_blocks.block_version_detail,
        name="block_version_detail",
    ),
    path(
        "shared/blocks/versions/<int:pk>/save/",
        views_blocks.block_version_save,
        name="block_version_save",
    ),
    path(
        "shared/blocks/versions/<int:pk>/preview/",
        views_blocks.block_version_preview,
        name="block_version_preview",
    ),
    path(
        "shared/themes/<int:brand_pk>/new/",
        views_themes.theme_version_create,
        name="theme_version_create",
    ),
    path(
        "shared/themes/versions/<int:pk>/",
        views_themes.theme_version_detail,
        name="theme_version_detail",
    ),
    path(
        "shared/themes/versions/<int:pk>/save/",
        views_themes.theme_version_save,
        name="theme_version_save",
    ),
    path(
        "shared/<str:kind>/versions/<int:pk>/<str:action>/",
        views_shared.shared_version_action,
        name="shared_version_action",
    ),
    path(
        "shared/<str:kind>/versions/<int:pk>/letter.pdf",
        views_shared.shared_version_pdf,
        name="shared_version_pdf",
    ),
]
