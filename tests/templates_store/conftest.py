import pytest

from templates_store import services
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import PAYMENT_SCHEMA, SAMPLE, BrandFactory, add_variants
from tests.templates_store.studio_api import V1, api_client


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


@pytest.fixture
def designer_api(designer):
    return api_client(designer)


@pytest.fixture
def approver_api(approver):
    return api_client(approver)


@pytest.fixture
def operator_api():
    return api_client(UserFactory(roles=["operator"]))


@pytest.fixture
def submitted(draft, designer_api):
    response = designer_api.post(f"{V1}/submit")
    assert response.status_code == 200, response.data
    return draft


@pytest.fixture
def approved_v1(submitted, approver_api):
    response = approver_api.post(f"{V1}/approve", {"comment": "Fine"}, format="json")
    assert response.status_code == 200, response.data
    return submitted
