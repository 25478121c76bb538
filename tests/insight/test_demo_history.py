import io

import pytest
from django.core.management import call_command

from insight.models import Goal
from insight.selectors.counts import Scope
from insight.selectors.report import figures_all

pytestmark = pytest.mark.django_db


def test_the_demo_gives_the_dashboard_something_to_show():
    call_command("load_demo", stdout=io.StringIO())
    figures = figures_all(scope=Scope())
    everything = figures.channels[-1]
    assert everything["sent"] > 100
    assert everything["opened"] > 0 and everything["clicked"] > 0 and everything["bounced"] > 0
    assert len({row["day"] for row in figures.daily}) >= 7
    assert figures.fallbacks and figures.printing["pages"] > 0
    assert {row["kind"] for row in figures.survey} == {"nps", "csat"}
    assert figures.comments
    assert Goal.objects.count() == 3 and len(figures.goals) == 3
