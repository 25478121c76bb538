from decimal import Decimal

import pytest

from insight.selectors.counts import Scope
from insight.selectors.survey_answers import figures_survey

pytestmark = pytest.mark.django_db


def test_nps_is_promoters_minus_detractors_and_csat_is_the_average(data):
    survey = {r["kind"]: r for r in figures_survey(scope=Scope())}
    nps = survey["nps"]
    # Scores 10 9 7 3 0 10: promoters 3 (50%), passive 1, detractors 2 (33.3%).
    assert (nps["answers"], nps["promoters"], nps["passives"], nps["detractors"]) == (6, 3, 1, 2)
    assert nps["nps"] == Decimal("16.7")
    assert nps["scores"] == {0: 1, 3: 1, 7: 1, 9: 1, 10: 2}
    csat = survey["csat"]
    assert (csat["answers"], csat["average"], csat["nps"]) == (4, Decimal("3.75"), None)
