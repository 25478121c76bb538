"""The figures against seeded data worked out by hand (see tests/insight/seed.py)."""

import pytest

from tests.insight.seed import seed


@pytest.fixture
def data():
    return seed()
