"""REST API for communications and their versions."""

from __future__ import annotations

from typing import Any

from rest_framework import generics, serializers

from templates_store.models import Communication, TemplateVariant, TemplateVersion
from templates_store.selectors import communication_list


class VariantSerializer(serializers.ModelSerializer):
    class Meta:
        model = TemplateVariant
        fields = ["channel", "locale", "subject", "body_html", "body_text"]


class VersionSerializer(serializers.ModelSerializer):
    author: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    approved_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    variants = VariantSerializer(many=True, read_only=True)

    class Meta:
        model = TemplateVersion
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
            "variants",
        ]


class CommunicationSerializer(serializers.ModelSerializer):
    brand: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    published_version = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(
        view_name="api-communication-detail", lookup_field="key"
    )

    class Meta:
        model = Communication
        fields = [
            "key",
            "url",
            "name",
            "description",
            "purpose",
            "category",
            "owner_team",
            "brand",
            "data_schema",
            "published_version",
            "updated_at",
        ]

    def get_published_version(self, communication: Communication) -> int | None:
        published = [
            v for v in communication.versions.all() if v.status == TemplateVersion.Status.PUBLISHED
        ]
        return published[0].number if published else None


class CommunicationDetailSerializer(CommunicationSerializer):
    versions = VersionSerializer(many=True, read_only=True)

    class Meta(CommunicationSerializer.Meta):
        fields = [*CommunicationSerializer.Meta.fields, "versions"]


class CommunicationListView(generics.ListAPIView):
    required_permissions = {"GET": "templates_store.view_communication"}
    serializer_class = CommunicationSerializer
    queryset = communication_list().order_by("key")
    pagination_class = None


class CommunicationDetailView(generics.RetrieveAPIView):
    required_permissions = {"GET": "templates_store.view_communication"}
    serializer_class = CommunicationDetailSerializer
    lookup_field = "key"
    queryset = communication_list().prefetch_related("versions__variants", "versions__author")
