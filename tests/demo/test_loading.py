import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from ccm import roles
from channels.backends.sms import locmem as sms_locmem
from channels.models import Batch, Message
from customers.models import Customer
from rendering.pdf import render_pdf
from rendering.render import render
from templates_store.models import Communication, TemplateVersion

CHANNELS = {
    "payment-reminder": {"email", "sms", "print"},
    "annual-statement": {"print", "email"},
    "appointment-reminder": {"sms", "email"},
}


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "communications": Communication.objects.count(),
        "versions": TemplateVersion.objects.count(),
        "customers": Customer.objects.count(),
        "batches": Batch.objects.count(),
        "messages": Message.objects.count(),
    }


@pytest.mark.django_db
class LoadDemoTests:
    def test_it_creates_one_user_per_role_and_an_admin_with_the_demo_password(self):
        call_command("load_demo", stdout=io.StringIO())

        for username, role in [
            ("designer", roles.DESIGNER),
            ("approver", roles.APPROVER),
            ("operator", roles.OPERATOR),
            ("compliance", roles.COMPLIANCE_OFFICER),
            ("auditor", roles.AUDITOR),
        ]:
            user = User.objects.get(username=username)
            assert list(user.groups.values_list("name", flat=True)) == [role]
            assert user.check_password("demo")
            assert user.email == f"{username}@example.com"
            assert not user.is_superuser
        admin = User.objects.get(username="admin")
        assert admin.is_superuser and admin.check_password("demo")

    def test_it_publishes_three_communications_approved_by_someone_else(self):
        call_command("load_demo", stdout=io.StringIO())

        versions = TemplateVersion.objects.select_related("communication", "author", "approved_by")
        assert {v.communication.key for v in versions} == set(CHANNELS)
        for version in versions:
            assert version.status == TemplateVersion.Status.PUBLISHED
            assert version.author.username == "designer"
            assert version.approved_by.username == "approver"
            assert version.communication.data_schema["required"]
            variants = {(v.channel, v.locale) for v in version.variants.all()}
            channels = CHANNELS[version.communication.key]
            assert variants == {(c, locale) for c in channels for locale in ("en", "ja")}

    def test_every_variant_renders_with_its_sample_data(self):
        call_command("load_demo", stdout=io.StringIO())

        for version in TemplateVersion.objects.prefetch_related("variants"):
            for variant in version.variants.all():
                rendered = render(version, variant.channel, variant.locale, version.sample_data)
                if variant.channel == "sms":
                    assert rendered.sms.segments <= 2, (version, variant.locale, rendered.text)
                    assert rendered.warnings == ()
                elif variant.channel == "email":
                    assert rendered.subject and rendered.text
                if variant.locale == "ja":
                    assert "様" in (rendered.html or rendered.text)

    def test_the_annual_statement_letter_lists_every_transaction_over_two_pages(self):
        call_command("load_demo", stdout=io.StringIO())
        version = TemplateVersion.objects.get(communication__key="annual-statement")

        rendered = render(version, "print", "en", version.sample_data)

        transactions = version.sample_data["transactions"]
        assert len(transactions) == 24
        assert rendered.html.count("<tr><td") >= len(transactions)
        assert len(PdfReader(io.BytesIO(render_pdf(rendered))).pages) == 2

    def test_it_creates_three_hundred_customers_in_english_and_japanese(self):
        call_command("load_demo", stdout=io.StringIO())

        customers = Customer.objects.all()
        assert customers.count() == 300
        japanese = customers.filter(locale="ja")
        assert 60 < japanese.count() < 150
        for customer in japanese:
            assert customer.phone.startswith("+81")
            assert customer.postal_address.startswith("〒")
            assert customer.timezone == "Asia/Tokyo"
        assert customers.filter(email="").exists()
        assert len({tuple(c.channel_preference) for c in customers}) >= 3

    def test_it_submits_one_batch_of_payment_reminders(self):
        call_command("load_demo", stdout=io.StringIO())

        batch = Batch.objects.exclude(source="demo-history").get()
        assert batch.communication.key == "payment-reminder"
        assert batch.created_by.username == "operator"
        assert batch.total_rows == 50 and batch.rejected_rows == []
        messages = batch.messages.all()
        assert messages.count() == 50
        assert {m.channel for m in messages} == {"email", "sms", "print"}
        assert {m.locale for m in messages} == {"en", "ja"}
        for message in messages.filter(locale="ja"):
            assert message.data["currency"] == "JPY"

    def test_if_empty_does_nothing_once_loaded(self):
        call_command("load_demo", "--if-empty", stdout=io.StringIO())
        before = _counts()
        out = io.StringIO()

        call_command("load_demo", "--if-empty", stdout=out)

        assert _counts() == before
        assert "not loaded again" in out.getvalue()

    def test_it_refuses_to_load_over_existing_communications(self):
        call_command("load_demo", stdout=io.StringIO())
        before = _counts()

        with pytest.raises(CommandError, match="--reset"):
            call_command("load_demo", stdout=io.StringIO())
        assert _counts() == before


@pytest.mark.django_db(transaction=True)
class LoadDemoBatchTests:
    def test_the_batch_is_sent_once_the_demo_is_committed_and_reset_starts_over(self, mailoutbox):
        call_command("load_demo", stdout=io.StringIO())

        batch = Batch.objects.exclude(source="demo-history").get()
        assert batch.status == Batch.Status.COMPLETED
        statuses = set(batch.messages.values_list("status", flat=True))
        assert statuses == {Message.Status.SENT}
        assert len(mailoutbox) == batch.messages.filter(channel="email").count()
        assert len(sms_locmem.outbox) == batch.messages.filter(channel="sms").count()
        assert batch.print_files.count() == 1
        people = list(Customer.objects.values_list("external_id", "name", "email", "phone"))

        call_command("load_demo", "--reset", stdout=io.StringIO())

        counts = _counts()
        assert counts["users"] == 6 and counts["communications"] == 3
        assert (
            counts["customers"] == 300
            and counts["batches"] == 1 + Batch.objects.filter(source="demo-history").count()
        )
        # The same seeded people every time.
        assert list(Customer.objects.values_list("external_id", "name", "email", "phone")) == people
