from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from insight.models import Goal, Survey


class ScopeForm(forms.Form):
    """The date range of a dashboard page (both ends inclusive; empty: no limit)."""

    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(
                _("The range starts (%(start)s) after it ends (%(end)s).")
                % {"start": start.isoformat(), "end": end.isoformat()}
            )
        return data


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["name", "metric", "target", "within_days", "link"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("metric") == Goal.Metric.LINK_CLICKS and not (data.get("link") or "").strip():
            self.add_error("link", _("Name the tracked link whose clicks count."))
        if data.get("metric") in Goal.RATE_METRICS and (data.get("target") or 0) > 100:
            self.add_error("target", _("A rate is at most 100%."))
        return data


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["kind", "question", "ask_comment"]


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Anything you would like to tell us?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea({"rows": 4}),
    )
