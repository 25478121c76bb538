"""Loading the demo through the same services the platform uses everywhere else."""

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from ccm.roles import ROLE_PERMISSIONS, roles_sync
from channels.models import Batch
from channels.services import batch_create
from customers.models import Customer
from customers.services import customer_upsert_many
from demo import content, shared_content
from demo.customers import DemoCustomer, demo_customers
from demo.insight import demo_history_load
from templates_store.models import Brand, Communication
from templates_store.services import (
    communication_create,
    variant_save,
    version_approve,
    version_publish,
    version_sample_data_save,
    version_submit,
)

SEED = 42
CUSTOMER_COUNT = 300
BATCH_SIZE = 50


class DemoLoadError(Exception):
    """The demo could not be loaded (for example: some demo rows already exist)."""


@dataclass(frozen=True)
class DemoSummary:
    users: int
    communications: int
    customers: int
    batch: Batch


def demo_is_loaded() -> bool:
    """True once any communication exists (the demo, or real work: never load over it)."""
    return Communication.objects.exists()


def demo_load(*, customer_count: int = CUSTOMER_COUNT, batch_size: int = BATCH_SIZE) -> DemoSummary:
    """Create the demo users, brand, three published communications, customers and one
    submitted batch of payment reminders, all in one transaction. The batch is handed to
    the workers once it commits. Raises DemoLoadError when demo rows already exist."""
    rng = random.Random(SEED)
    today = timezone.localdate()
    with transaction.atomic():
        users = _users()
        brand = _brand()
        shared_content.demo_shared_content_load(
            brand=brand, designer=users["designer"], approver=users["approver"]
        )
        communications = [
            _communication(
                spec, brand=brand, author=users["designer"], approver=users["approver"], today=today
            )
            for spec in content.COMMUNICATIONS
        ]
        people = demo_customers(count=customer_count, rng=rng)
        result = customer_upsert_many(rows=[c.as_row() for c in people], source="demo")
        if result["errors"]:
            raise DemoLoadError(f"demo customers refused: {result['errors'][:3]}")
        demo_history_load(
            communications=communications,
            customers=list(
                Customer.objects.filter(external_id__in=[p.external_id for p in people])
            ),
            operator=users["operator"],
            designer=users["designer"],
            rng=rng,
        )
        recipients = rng.sample(people, min(batch_size, len(people)))
        batch = batch_create(
            communication=communications[0],
            rows=_payment_rows(recipients, rng=rng, today=today),
            created_by=users["operator"],
            source="cli",
        )
    return DemoSummary(
        users=len(users), communications=len(communications), customers=len(people), batch=batch
    )


def _users() -> dict[str, User]:
    usernames = [username for username, *_ in content.USERS]
    taken = User.objects.filter(username__in=usernames).values_list("username", flat=True)
    if taken:
        raise DemoLoadError(f"demo users already exist: {', '.join(sorted(taken))}")
    if Group.objects.filter(name__in=ROLE_PERMISSIONS).count() < len(ROLE_PERMISSIONS):
        roles_sync()
    users = {}
    for username, role, first_name, last_name in content.USERS:
        email = f"{username}@{content.EMAIL_DOMAIN}"
        if role is None:
            user = User.objects.create_superuser(username, email, content.PASSWORD)
        else:
            user = User.objects.create_user(username, email, content.PASSWORD)
            user.groups.add(Group.objects.get(name=role))
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
        users[username] = user
    return users


def _brand() -> Brand:
    if Brand.objects.filter(name=content.BRAND["name"]).exists():
        raise DemoLoadError(f"the brand {content.BRAND['name']!r} already exists")
    brand = Brand(**content.BRAND)
    brand.full_clean()
    brand.save()
    return brand


def _communication(
    spec: dict[str, Any], *, brand: Brand, author: User, approver: User, today: dt.date
) -> Communication:
    """Write a communication as a designer would, then have another person approve it."""
    communication = communication_create(
        key=spec["key"],
        name=spec["name"],
        description=spec["description"],
        category=spec["category"],
        purpose=spec["purpose"],
        owner_team=spec["owner_team"],
        data_schema=spec["data_schema"],
        brand=brand,
        author=author,
    )
    version = communication.versions.get()
    sample = content.sample_data(spec["key"], today=today)
    version_sample_data_save(version=version, sample_data=sample)
    for (channel, locale), fields in spec["variants"].items():
        variant_save(version=version, channel=channel, locale=locale, **fields)
    version_submit(version=version, actor=author)
    version_approve(version=version, actor=approver, comment="Checked against the brand guide.")
    version_publish(version=version, actor=approver)
    return communication


def _payment_rows(
    people: list[DemoCustomer], *, rng: random.Random, today: dt.date
) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": person.external_id,
            "data": content.payment_data(
                first_name=person.first_name,
                customer_name=person.name,
                account_number=person.account_number,
                currency=person.currency,
                rng=rng,
                today=today,
            ),
        }
        for person in people
    ]
