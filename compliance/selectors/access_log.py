"""The log of who searched, viewed, downloaded and exported what."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from compliance.models import AccessLog
from compliance.selectors.paging import page_cursor, page_cursor_parse


@dataclass(frozen=True)
class AccessLogPage:
    """One page of the access log, newest first, with the cursors of the pages either
    side ("" when there is none)."""

    logs: list[AccessLog]
    older: str
    newer: str

    def __iter__(self) -> Any:
        return iter(self.logs)

    def __len__(self) -> int:
        return len(self.logs)


def access_log_page(
    *, older: str = "", newer: str = "", size: int = 50, **filters: Any
) -> AccessLogPage:
    """A page of the access log matching ``filters`` (newest first) by keyset on (at, id):
    the ``size`` records older than the ``older`` cursor, or newer than the ``newer`` one,
    or the newest. Nothing is counted: every look at the archive adds a record, and each
    page costs what the first does however long the log grows. An unreadable cursor gives
    the newest page."""
    logs = AccessLog.objects.select_related("actor").filter(**filters)
    if (after := page_cursor_parse(newer)) is not None:
        moment, pk = after
        rows = list(
            logs.filter(Q(at__gt=moment) | Q(at=moment, id__gt=pk)).order_by("at", "id")[: size + 1]
        )
        page, more_newer, more_older = rows[:size][::-1], len(rows) > size, True
    elif (before := page_cursor_parse(older)) is not None:
        moment, pk = before
        rows = list(
            logs.filter(Q(at__lt=moment) | Q(at=moment, id__lt=pk)).order_by("-at", "-id")[
                : size + 1
            ]
        )
        page, more_older, more_newer = rows[:size], len(rows) > size, True
    else:
        rows = list(logs.order_by("-at", "-id")[: size + 1])
        page, more_older, more_newer = rows[:size], len(rows) > size, False
    return AccessLogPage(
        logs=page,
        older=page_cursor(page[-1].at, page[-1].pk) if page and more_older else "",
        newer=page_cursor(page[0].at, page[0].pk) if page and more_newer else "",
    )


def access_log_actors() -> QuerySet[Any]:
    """The people who appear in the access log, by username."""
    user_model = get_user_model()
    actor_ids = AccessLog.objects.values("actor_id")
    return user_model.objects.filter(pk__in=actor_ids).order_by(user_model.USERNAME_FIELD)
