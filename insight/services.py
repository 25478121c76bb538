"""Writes of the insight app: goals, surveys and survey answers."""

from decimal import Decimal

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from channels.models import Message
from insight.models import Goal, Survey, SurveyAnswer
from insight.surveys import (
    SurveyLinkError,
    message_for_reference,
    survey_cache_key,
    token_read,
)
from templates_store.models import Communication

COMMENT_MAX_LENGTH = 2000


def goal_create(
    *,
    communication: Communication,
    user: User,
    name: str,
    metric: str,
    target: Decimal,
    within_days: int = 7,
    link: str = "",
) -> Goal:
    goal = Goal(
        communication=communication,
        created_by=user,
        name=name,
        metric=metric,
        target=target,
        within_days=within_days,
        link=link.strip(),
    )
    goal.full_clean()
    goal.save()
    return goal


def goal_delete(*, goal: Goal) -> None:
    goal.delete()


def survey_set(
    *, communication: Communication, kind: str, question: str = "", ask_comment: bool = True
) -> Survey:
    """Give ``communication`` a survey, or change the one it has."""
    survey = Survey.objects.filter(communication=communication).first() or Survey(
        communication=communication
    )
    survey.kind = kind
    survey.question = question.strip()
    survey.ask_comment = ask_comment
    survey.closed_at = None
    survey.full_clean()
    survey.save()
    cache.delete(survey_cache_key(communication.pk))
    return survey


def survey_remove(*, communication: Communication) -> None:
    """Stop asking: links record nothing from now on; answers already given stay."""
    Survey.objects.filter(communication=communication, closed_at__isnull=True).update(
        closed_at=timezone.now()
    )
    cache.delete(survey_cache_key(communication.pk))


def _answerable(token: str) -> tuple[Survey, Message, int | None]:
    reference, score = token_read(token)
    message = message_for_reference(reference)
    if message is None:
        if not reference.version_id:
            raise SurveyLinkError(
                gettext("This is a preview: answers are recorded from sent messages only."),
                status=404,
            )
        raise SurveyLinkError(gettext("We could not find the message of this link."), status=404)
    survey = Survey.objects.filter(communication_id=message.version.communication_id).first()
    if survey is None or survey.closed_at is not None:
        raise SurveyLinkError(gettext("This survey is closed."), status=410)
    if score is not None and score not in survey.scores:
        raise SurveyLinkError(
            gettext("The score %(score)s is outside this survey's scale (%(low)s to %(high)s).")
            % {"score": score, "low": survey.scores[0], "high": survey.scores[-1]}
        )
    return survey, message, score


def survey_page_read(*, token: str) -> tuple[Survey, Message, SurveyAnswer | None]:
    """The survey and message of a link, and the answer given so far. Raises SurveyLinkError."""
    survey, message, _score = _answerable(token)
    return survey, message, SurveyAnswer.objects.filter(message=message).first()


def survey_answer_record(*, token: str) -> SurveyAnswer:
    """Record the score a one-click link carries. Answering again replaces the score
    (one answer per customer and message). Raises SurveyLinkError."""
    survey, message, score = _answerable(token)
    if score is None:
        raise SurveyLinkError(gettext("Choose a score."))
    return survey_answer_save(survey=survey, message=message, score=score)


def survey_answer_save(*, survey: Survey, message: Message, score: int) -> SurveyAnswer:
    if score not in survey.scores:
        raise SurveyLinkError(
            gettext("The score %(score)s is outside this survey's scale (%(low)s to %(high)s).")
            % {"score": score, "low": survey.scores[0], "high": survey.scores[-1]}
        )
    now = timezone.now()
    with transaction.atomic():
        answer, created = SurveyAnswer.objects.select_for_update().get_or_create(
            message=message,
            defaults={
                "survey": survey,
                "customer": message.customer,
                "score": score,
                "answered_at": now,
            },
        )
        if not created:
            SurveyAnswer.objects.filter(pk=answer.pk).update(
                survey=survey, score=score, answered_at=now, times_answered=F("times_answered") + 1
            )
            answer.refresh_from_db()
    return answer


def survey_comment_save(*, token: str, comment: str) -> SurveyAnswer:
    """Add the customer's comment to the answer the link recorded. Raises SurveyLinkError."""
    survey, message, _score = _answerable(token)
    if not survey.ask_comment:
        raise SurveyLinkError(gettext("This survey does not take comments."))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise SurveyLinkError(
            gettext("The comment is too long: %(length)s characters, at most %(limit)s.")
            % {"length": len(comment), "limit": COMMENT_MAX_LENGTH}
        )
    answer = SurveyAnswer.objects.filter(message=message).first()
    if answer is None:
        raise SurveyLinkError(gettext("Choose a score first."))
    answer.comment = comment
    answer.save(update_fields=["comment"])
    return answer
