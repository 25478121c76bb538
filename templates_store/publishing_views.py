"""Publishing from the review page: now, or from a date and time the approver gives in
their own time zone; cancelling a schedule. Rolling back is publishing a retired version
again (the service records it as its own step)."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ccm.views_access import AuthenticatedRequest, requires
from templates_store import services
from templates_store.permissions import PUBLISH_VERSION
from templates_store.views_versions import validation_errors_show, version_or_404


class PublishForm(forms.Form):
    """``publish_at`` is a wall-clock time in ``timezone`` (the browser's IANA zone, filled
    in by the page; the platform's zone when missing)."""

    publish_at = forms.DateTimeField(
        label=gettext_lazy("Publish from"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=gettext_lazy("Empty: at once. In your time zone."),
    )
    timezone = forms.CharField(required=False, max_length=64)
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=2000)

    def clean_timezone(self) -> ZoneInfo:
        name = self.cleaned_data["timezone"] or settings.TIME_ZONE
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise forms.ValidationError(_("Unknown time zone %(name)r.") % {"name": name}) from exc

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        when: dt.datetime | None = cleaned.get("publish_at")
        zone = cleaned.get("timezone")
        if when is not None and zone is not None:
            # The field made it aware in the server's zone: read the wall clock in the user's.
            cleaned["publish_at"] = when.replace(tzinfo=None).replace(tzinfo=zone)
        return cleaned


def _review_url(pk: int) -> str:
    return reverse("templates_store:review_detail", args=[pk])


@require_POST
@requires(PUBLISH_VERSION)
def version_publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(_review_url(version.pk))
    publish_at = form.cleaned_data["publish_at"]
    try:
        version = services.version_publish(
            version=version,
            actor=request.user,
            publish_at=publish_at,
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as exc:
        validation_errors_show(request, exc)
        return redirect(_review_url(version.pk))
    if version.publish_at is not None:
        when = timezone.localtime(version.publish_at, publish_at.tzinfo)
        messages.success(
            request,
            _("Version %(number)s will be published on %(when)s (%(zone)s).")
            % {
                "number": version.number,
                "when": formats.date_format(when, "Y-m-d H:i"),
                "zone": when.tzname(),
            },
        )
        return redirect(_review_url(version.pk))
    messages.success(request, _("Version %(number)s published.") % {"number": version.number})
    return redirect("templates_store:communication_detail", pk=version.communication_id)


@require_POST
@requires(PUBLISH_VERSION)
def version_unschedule(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    version = version_or_404(pk)
    try:
        services.version_unschedule(version=version, actor=request.user)
    except ValidationError as exc:
        validation_errors_show(request, exc)
    else:
        messages.success(request, _("The scheduled publication is cancelled."))
    return redirect(_review_url(version.pk))
