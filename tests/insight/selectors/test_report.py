import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insight.selectors.counts import Scope
from insight.selectors.report import FIGURE_NAMES, figure_table, figures_all
from tests.insight.seed import seed

pytestmark = pytest.mark.django_db


def test_figures_are_aggregate_queries_whatever_the_volume(data):
    scope = Scope()
    with CaptureQueriesContext(connection) as small:
        figures_all(scope=scope)
    seed(suffix="-2")  # as many messages again
    with CaptureQueriesContext(connection) as large:
        figures_all(scope=scope)
    assert len(large) == len(small)


def test_every_figure_is_a_table(data):
    figures = figures_all(scope=Scope())
    for name in FIGURE_NAMES:
        header, rows = figure_table(figures, name)
        assert all(len(row) == len(header) for row in rows), name
    with pytest.raises(KeyError):
        figure_table(figures, "nothing")
