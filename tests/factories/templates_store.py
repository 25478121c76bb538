import factory
from django.db.models import Max
from django.utils import timezone

from templates_store.models import (
    Brand,
    Communication,
    ReviewEvent,
    TemplateVariant,
    TemplateVersion,
    TestRecipient,
    VerifiedPhone,
)
from tests.factories.ccm import UserFactory

PAYMENT_SCHEMA = {
    "type": "object",
    "required": ["first_name", "amount", "due_date"],
    "properties": {
        "first_name": {"type": "string", "minLength": 1},
        "amount": {"type": "number", "minimum": 0},
        "due_date": {"type": "string", "format": "date"},
    },
}
SAMPLE = {"first_name": "Alex", "amount": 120.5, "due_date": "2026-12-15"}


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("name",)

    name = "Acme Energy"
    email_from = "billing@acme.example"
    email_from_name = "Acme Energy"
    sms_sender = "AcmeEnergy"
    return_address = "Acme Energy\n1 Power Lane\nLeeds LS1 1AA"
    footer_text = "Acme Energy Ltd, registered in England no. 0000000."


class CommunicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Communication

    key = factory.Sequence(lambda n: f"payment-reminder-{n}")
    name = factory.Sequence(lambda n: f"Payment reminder {n}")
    category = Communication.Category.TRANSACTIONAL
    purpose = Communication.Purpose.REQUEST_PAYMENT
    brand = factory.SubFactory(BrandFactory)
    data_schema = PAYMENT_SCHEMA


class TemplateVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TemplateVersion

    communication = factory.SubFactory(CommunicationFactory)
    number = factory.LazyAttribute(
        lambda o: (o.communication.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    )
    author = factory.SubFactory(UserFactory)
    sample_data = SAMPLE


CONTENT = {
    ("email", "en"): {
        "subject": "Payment of {{ amount|money('GBP') }} due",
        "body_html": "<p>Dear {{ first_name }},</p><p>Please pay {{ amount|money('GBP') }} by {{ due_date|date }}.</p>",
        "body_text": "Dear {{ first_name }},\nPlease pay {{ amount|money('GBP') }} by {{ due_date|date }}.",
    },
    ("email", "ja"): {
        "subject": "{{ amount|money('JPY') }}のお支払いについて",
        "body_html": "<p>{{ first_name }} 様</p><p>{{ due_date|date }}までに{{ amount|money('JPY') }}をお支払いください。</p>",
        "body_text": "",
    },
    ("sms", "en"): {
        "body_text": "Acme: {{ first_name }}, {{ amount|money('GBP') }} is due {{ due_date|date('short') }}."
    },
    ("sms", "ja"): {
        "body_text": "{{ first_name }}様、{{ due_date|date('short') }}までに{{ amount|money('JPY') }}をお支払いください。"
    },
    ("print", "en"): {
        "subject": "Payment reminder",
        "body_html": "<p>Dear {{ first_name }},</p><p>Please pay {{ amount|money('GBP') }} by {{ due_date|date }}.</p>",
    },
    ("print", "ja"): {
        "subject": "お支払いのお願い",
        "body_html": "<p>{{ first_name }} 様</p><p>{{ due_date|date }}までに{{ amount|money('JPY') }}をお支払いください。</p>",
    },
}


def add_variants(version: TemplateVersion, content=None) -> TemplateVersion:
    for (channel, locale), fields in (content or CONTENT).items():
        TemplateVariant.objects.create(version=version, channel=channel, locale=locale, **fields)
    return version


def published_version(
    *, communication=None, author=None, approver=None, content=None
) -> TemplateVersion:
    """A version with every channel in English and Japanese, approved by another user and published."""
    approver = approver or UserFactory()
    kwargs = {"communication": communication} if communication else {}
    if author:
        kwargs["author"] = author
    version = add_variants(TemplateVersionFactory(**kwargs), content)
    version.content_hash = version.compute_content_hash()
    version.status = TemplateVersion.Status.PUBLISHED
    version.submitted_at = version.approved_at = version.published_at = timezone.now()
    version.approved_by = approver
    version.save()
    ReviewEvent.objects.create(version=version, actor=approver, action=ReviewEvent.Action.PUBLISHED)
    return version


class TestRecipientFactory(factory.django.DjangoModelFactory):
    """An allowlisted test recipient (for every team unless ``team`` is given)."""

    class Meta:
        model = TestRecipient

    kind = TestRecipient.Kind.SMS
    address = "+447400123457"
    label = "QA phone"


class VerifiedPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VerifiedPhone

    user = factory.SubFactory(UserFactory)
    number = "+447400123456"
    verified_at = factory.LazyFunction(timezone.now)
