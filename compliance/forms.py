import datetime as dt
from typing import Any, cast

from django import forms
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ccm.vocabulary import Channel, MessageStatus
from compliance.models import LegalHold
from compliance.selectors import evidence as selectors
from templates_store.models import Communication


class ArchiveSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        label=gettext_lazy("Recipient or customer"),
        help_text=gettext_lazy(
            "Email address or phone number (or its start), customer id, or name."
        ),
    )
    channel = forms.ChoiceField(required=False, label=gettext_lazy("Channel"))
    batch = forms.IntegerField(required=False, min_value=1, label=gettext_lazy("Batch"))
    communication = forms.ChoiceField(required=False, label=gettext_lazy("Communication"))
    version = forms.IntegerField(required=False, min_value=1, label=gettext_lazy("Version"))
    status = forms.ChoiceField(required=False, label=gettext_lazy("Status"))
    words = forms.CharField(
        required=False,
        label=gettext_lazy("Words"),
        help_text=gettext_lazy("In the email subject or the SMS text."),
    )
    date_from = forms.DateField(
        required=False, label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    tests = forms.BooleanField(required=False, label=gettext_lazy("Include test sends"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", gettext_lazy("All"))]
        self.fields["channel"].choices = everything + list(Channel.choices)  # type: ignore[attr-defined]
        self.fields["status"].choices = everything + list(MessageStatus.choices)  # type: ignore[attr-defined]
        self.fields["communication"].choices = everything + [  # type: ignore[attr-defined]
            (key, f"{name} ({key})")
            for key, name in Communication.objects.order_by("name").values_list("key", "name")
        ]


class ReasonForm(forms.Form):
    """Why a person exports evidence or releases a hold; recorded in the access log."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Give a reason: it is recorded.")},
    )


class EvidenceExportForm(ReasonForm):
    SCOPE_SEARCH = "search"
    SCOPE_CUSTOMER = "customer"

    scope = forms.ChoiceField(
        required=False,
        choices=[(SCOPE_SEARCH, SCOPE_SEARCH), (SCOPE_CUSTOMER, SCOPE_CUSTOMER)],
        widget=forms.HiddenInput,
    )


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def _hold_batches() -> QuerySet[Model]:
    """Every batch a hold may name: the batch model is the one the hold's foreign key
    names (channels', a layer above the archive)."""
    batch_model = cast(type[Model], LegalHold._meta.get_field("batch").related_model)
    return batch_model._default_manager.all()


class LegalHoldForm(forms.Form):
    customer = forms.CharField(
        required=False,
        max_length=100,
        label=gettext_lazy("Customer id"),
        help_text=gettext_lazy("The customer's external id."),
    )
    batch = forms.IntegerField(required=False, min_value=1, label=gettext_lazy("Batch"))
    communication = forms.CharField(
        required=False,
        max_length=100,
        label=gettext_lazy("Communication"),
        help_text=gettext_lazy("The communication's key."),
    )
    date_from = forms.DateField(
        required=False,
        label=gettext_lazy("Sent from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        required=False,
        label=gettext_lazy("Sent until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Say why the communications are held.")},
    )

    def clean_customer(self) -> Any:
        external_id = self.cleaned_data["customer"].strip()
        if not external_id:
            return None
        customer = selectors.customer_by_external_id(external_id=external_id)
        if customer is None:
            raise forms.ValidationError(
                gettext_lazy("No customer has the id %(id)s."), params={"id": external_id}
            )
        return customer

    def clean_batch(self) -> Model | None:
        number = self.cleaned_data["batch"]
        if number is None:
            return None
        batch = _hold_batches().filter(pk=number).first()
        if batch is None:
            raise forms.ValidationError(
                gettext_lazy("There is no batch #%(id)s."), params={"id": number}
            )
        return batch

    def clean_communication(self) -> Communication | None:
        key = self.cleaned_data["communication"].strip()
        if not key:
            return None
        communication = Communication.objects.filter(key=key).first()
        if communication is None:
            raise forms.ValidationError(
                gettext_lazy("No communication has the key %(key)s."), params={"key": key}
            )
        return communication

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        criteria = ("customer", "batch", "communication", "date_from", "date_to")
        if not self.errors and not any(cleaned.get(name) for name in criteria):
            raise forms.ValidationError(
                gettext_lazy("Name a customer, batch, communication or date range to hold.")
            )
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", gettext_lazy("The end of the range is before its start."))
        return cleaned

    def hold_criteria(self) -> dict[str, Any]:
        """The cleaned criteria as ``legal_hold_create`` takes them: whole days, in the
        platform's time zone."""
        data = self.cleaned_data
        return {
            "customer": data["customer"],
            "batch": data["batch"],
            "communication": data["communication"],
            "date_from": _start_of_day(data["date_from"]) if data["date_from"] else None,
            "date_to": _end_of_day(data["date_to"]) if data["date_to"] else None,
            "reason": data["reason"],
        }
