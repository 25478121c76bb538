import pytest

from templates_store import services
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import PAYMENT_SCHEMA, SAMPLE, BrandFactory, add_variants


@pytest.fixture
def designer():
    return UserFactory(roles=["designer"], first_name="Dana", last_name="Designer")


@pytest.fixture
def approver():
    return UserFactory(roles=["approver"])


@pytest.fixture
def draft(designer):
    """Version 1 of a communication, a draft by ``designer`` with every channel in en and ja."""
    communication = services.communication_create(
        key="reminder",
        name="Reminder",
        category="transactional",
        brand=BrandFactory(),
        author=designer,
        data_schema=PAYMENT_SCHEMA,
        owner_team="Billing",
    )
    version = communication.versions.get()
    services.version_sample_data_save(version=version, sample_data=SAMPLE)
    return add_variants(version)
