from decimal import Decimal

import pytest

from insight.models import Goal
from insight.selectors.counts import Scope
from insight.selectors.goals import goals_progress
from tests.factories.ccm import UserFactory

pytestmark = pytest.mark.django_db


def test_goals_show_progress(data):
    user = UserFactory()
    common = {"communication": data.bills, "created_by": user}
    Goal.objects.create(name="Opened", metric="opened_rate", target=80, within_days=7, **common)
    Goal.objects.create(name="Pay clicks", metric="link_clicks", target=200, link="pay", **common)
    Goal.objects.create(name="Answers", metric="survey_answers", target=4, **common)
    goals = {g["name"]: g for g in goals_progress(scope=Scope(communication_id=data.bills.pk))}
    # Opened within 7 days: e1, e5, e6 of 6 sent emails (e2 opened on day 10).
    assert goals["Opened"]["value"] == Decimal("50.0")
    assert goals["Opened"]["progress"] == Decimal("62.5")
    assert not goals["Opened"]["reached"]
    assert goals["Pay clicks"]["value"] == 2
    assert goals["Pay clicks"]["progress"] == Decimal("1.0")
    assert goals["Answers"]["value"] == 6 and goals["Answers"]["reached"]
    assert goals["Answers"]["progress"] == 100
