import json
import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from ccm.vocabulary import Channel
from templates_store.models import Communication
from templates_store.models.communications import LetterEnvelope

MONO = {"spellcheck": "false", "autocomplete": "off"}


class JSONObjectField(forms.CharField):
    """JSON text that must hold an object; cleans to a dict."""

    widget = forms.Textarea(attrs={"rows": 8, **MONO})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return value

    def to_python(self, value: Any) -> dict[str, Any]:  # type: ignore[override]
        text = super().to_python(value) or ""
        if not text.strip():
            return {}
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("Not valid JSON: %(error)s (line %(line)s, column %(column)s)."),
                params={"error": exc.msg, "line": exc.lineno, "column": exc.colno},
                code="invalid_json",
            ) from exc
        if not isinstance(parsed, dict):
            raise forms.ValidationError(_("Must be a JSON object ({...})."), code="not_object")
        return parsed


class CommunicationForm(forms.ModelForm):
    data_schema = JSONObjectField(
        label=_("Data schema"),
        required=False,
        help_text=_("A JSON Schema (an object) that every recipient's data must match."),
    )
    # Optional in the form: a communication without letters keeps the default envelope.
    letter_envelope = forms.TypedChoiceField(
        label=_("letter envelope"),
        choices=LetterEnvelope.choices,
        required=False,
        empty_value=LetterEnvelope.DIN_DL,
        initial=LetterEnvelope.DIN_DL,
        help_text=_("The window envelope, which sets the paper size and the address position."),
    )

    class Meta:
        model = Communication
        fields = ["key", *Communication.DESIGNER_FIELDS]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_data_schema(self) -> dict[str, Any]:
        schema = self.cleaned_data["data_schema"]
        try:
            validator_for(schema).check_schema(schema)
        except SchemaError as exc:
            raise forms.ValidationError(
                _("Not a valid JSON Schema: %(error)s"), params={"error": exc.message}
            ) from exc
        return schema


class SampleDataForm(forms.Form):
    sample_data = JSONObjectField(
        label=_("Sample data"),
        required=False,
        help_text=_("The data previews and test sends are rendered with."),
    )


def _template_area(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **MONO})


class EmailVariantForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"), max_length=500, widget=forms.TextInput(attrs=MONO)
    )
    body_html = forms.CharField(label=_("HTML body"), widget=_template_area(12))
    body_text = forms.CharField(
        label=_("Text body"),
        required=False,
        widget=_template_area(6),
        help_text=_("Optional: generated from the HTML body when empty."),
    )


class SmsVariantForm(forms.Form):
    body_text = forms.CharField(label=_("Message"), widget=_template_area(6))


class PrintVariantForm(forms.Form):
    subject = forms.CharField(
        label=_("Letter title"), max_length=500, widget=forms.TextInput(attrs=MONO)
    )
    body_html = forms.CharField(label=_("Letter body (HTML)"), widget=_template_area(14))


VARIANT_FORMS: dict[str, type[forms.Form]] = {
    Channel.EMAIL: EmailVariantForm,
    Channel.SMS: SmsVariantForm,
    Channel.PRINT: PrintVariantForm,
}


class LocaleForm(forms.Form):
    locale = forms.ChoiceField(choices=settings.LANGUAGES)


class TestSendForm(forms.Form):
    """Channel, language and recipient of a test send. ``recipients`` are (channel,
    address, label) the sender may choose from; which address is allowed is decided by
    the service (``templates_store.test_recipients``), which names a refused one."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    recipient = forms.CharField(
        label=_("Send to"),
        required=False,
        help_text=_("A letter is downloaded as a PDF; it needs no recipient."),
    )

    def __init__(
        self, *args: Any, recipients: list[tuple[str, str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {}
        for channel, address, label in recipients or []:
            groups.setdefault(channel, []).append((address, f"{address} ({label})"))
        choices: list[Any] = [("", _("Email: your address; letter: download"))]
        choices += [(Channel(channel).label, options) for channel, options in groups.items()]
        self.fields["recipient"].widget = forms.Select(choices=choices)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("channel") == Channel.SMS and not cleaned.get("recipient"):
            self.add_error(
                "recipient",
                _(
                    "An SMS test needs a mobile number: choose one you verified on the Test "
                    "recipients page, or one an administrator added."
                ),
            )
        return cleaned


class PhoneNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=_("In international format: +447700900123."),
    )

    def clean_number(self) -> str:
        number = re.sub(r"[\s().-]", "", self.cleaned_data["number"])
        if not re.fullmatch(r"\+[1-9]\d{6,14}", number):
            raise forms.ValidationError(
                _("%(number)s is not in international format, for example +447700900123.")
                % {"number": self.cleaned_data["number"]}
            )
        return number


class PhoneCodeForm(forms.Form):
    number = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
