from django.db.models import QuerySet

from templates_store.models import Communication, TemplateVersion


def communication_list() -> QuerySet[Communication]:
    return Communication.objects.select_related("brand").prefetch_related("versions")


def version_published(*, communication: Communication) -> TemplateVersion | None:
    return (
        TemplateVersion.objects.select_related("communication__brand")
        .prefetch_related("variants")
        .filter(communication=communication, status=TemplateVersion.Status.PUBLISHED)
        .first()
    )


def version_list_for_review() -> QuerySet[TemplateVersion]:
    return TemplateVersion.objects.select_related("communication", "author").filter(
        status__in=[TemplateVersion.Status.IN_REVIEW, TemplateVersion.Status.APPROVED]
    )


def version_with_content(*, pk: int) -> TemplateVersion:
    return (
        TemplateVersion.objects.select_related("communication__brand", "author", "approved_by")
        .prefetch_related("variants", "events__actor")
        .get(pk=pk)
    )
