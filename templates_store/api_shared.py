"""REST API (read) for shared content: blocks with their versions and where they are used,
and brand theme versions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import generics, serializers

from templates_store.models import Block, BlockContent, BlockVersion, TemplateVersion, ThemeVersion
from templates_store.shared_selectors import block_list, block_where_used

VIEW = "templates_store.view_communication"


class BlockContentSerializer(serializers.ModelSerializer):
    class Meta:
        model = BlockContent
        fields = ["channel", "locale", "body"]


class BlockVersionSerializer(serializers.ModelSerializer):
    author: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    approved_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    contents = BlockContentSerializer(many=True, read_only=True)

    class Meta:
        model = BlockVersion
        fields = [
            "number",
            "status",
            "author",
            "content_hash",
            "created_at",
            "submitted_at",
            "approved_by",
            "approved_at",
            "published_at",
            "contents",
        ]


class BlockSerializer(serializers.ModelSerializer):
    brand: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    published_version = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api-block-detail")

    class Meta:
        model = Block
        fields = ["id", "url", "brand", "key", "name", "kind", "description", "published_version"]

    def get_published_version(self, block: Block) -> int | None:
        published = [
            v for v in block.versions.all() if v.status == TemplateVersion.Status.PUBLISHED
        ]
        return published[0].number if published else None


class BlockDetailSerializer(BlockSerializer):
    versions = BlockVersionSerializer(many=True, read_only=True)
    where_used = serializers.SerializerMethodField()

    class Meta(BlockSerializer.Meta):
        fields = [*BlockSerializer.Meta.fields, "versions", "where_used"]

    def get_where_used(self, block: Block) -> list[dict[str, Any]]:
        """Communication versions using the block: published/submitted ones with the block
        version they pinned, drafts with null (they use the latest published)."""
        return [
            {
                "communication": use.communication.key,
                "version": use.version.number,
                "status": use.version.status,
                "block_version": use.pinned_number,
            }
            for use in block_where_used(block=block)
        ]


class BlockListView(generics.ListAPIView):
    """Every block, with its published version number."""

    required_permissions = {"GET": VIEW}
    serializer_class = BlockSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Block]:
        return block_list(search=self.request.query_params.get("q", ""))


class BlockDetailView(generics.RetrieveAPIView):
    """A block with every version (content per channel and locale) and where it is used."""

    required_permissions = {"GET": VIEW}
    serializer_class = BlockDetailSerializer

    def get_queryset(self) -> QuerySet[Block]:
        return block_list().prefetch_related("versions__contents", "versions__author")


class ThemeVersionSerializer(serializers.ModelSerializer):
    brand: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    author: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    approved_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()

    class Meta:
        model = ThemeVersion
        fields = [
            "brand",
            "number",
            "status",
            *ThemeVersion.CONTENT_FIELDS,
            "author",
            "content_hash",
            "submitted_at",
            "approved_by",
            "approved_at",
            "published_at",
        ]


class ThemeVersionListView(generics.ListAPIView):
    """Theme versions of every brand (``?brand=<id>`` for one), newest first."""

    required_permissions = {"GET": VIEW}
    serializer_class = ThemeVersionSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[ThemeVersion]:
        queryset = ThemeVersion.objects.select_related("brand", "author", "approved_by")
        brand = self.request.query_params.get("brand", "")
        if brand.isdigit():
            queryset = queryset.filter(brand_id=int(brand))
        return queryset.order_by("brand__name", "-number")
