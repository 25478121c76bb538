import factory

from customers.models import Customer


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    locale = "en"
    email = factory.LazyAttribute(lambda c: f"{c.external_id.lower()}@example.net")
    phone = factory.Sequence(lambda n: f"+447911{n % 1000000:06d}")
    postal_address = "1 High Street\nLondon\nSW1A 1AA\nUnited Kingdom"
    channel_preference = ["email", "sms", "print"]
