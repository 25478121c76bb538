"""Insight pages, CSV exports and the API: who may see them, and that they show the figures."""

import pytest
from rest_framework.test import APIClient

from insight.models import Goal, Survey
from tests.factories.ccm import UserFactory
from tests.insight.seed import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    return seed()


def _login(client, role):
    client.force_login(UserFactory(roles=[role]))


@pytest.mark.parametrize("role", ["designer", "approver", "operator"])
def test_designers_approvers_and_operators_see_insight(client, data, role):
    _login(client, role)
    response = client.get("/insight/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-chart="daily-channels"' in html and 'data-chart="rates"' in html
    assert client.get(f"/insight/communications/{data.bills.key}/").status_code == 200
    assert client.get(f"/insight/batches/{data.batch1.pk}/").status_code == 200


@pytest.mark.parametrize("role", ["compliance_officer", "auditor"])
def test_other_roles_do_not(client, data, role):
    _login(client, role)
    assert client.get("/insight/").status_code == 403
    assert client.get("/insight/export/channels.csv").status_code == 403


def test_the_communication_page_shows_its_figures_and_charts(client, data):
    _login(client, "designer")
    html = client.get(f"/insight/communications/{data.bills.key}/").content.decode()
    assert 'data-kpi="sent">10<' in html
    assert 'data-kpi="delivery_rate">75.0%<' in html
    assert 'data-chart="versions"' in html and ">v1<" in html and ">v2<" in html
    assert 'data-chart="survey-nps"' in html
    assert "<td data-nps>16.7</td>" in html
    assert "Clear, thanks" in html


def test_the_batch_page_counts_its_batch_only(client, data):
    _login(client, "operator")
    html = client.get(f"/insight/batches/{data.batch2.pk}/").content.decode()
    assert 'data-kpi="sent">2<' in html and 'data-kpi="open_rate">100.0%<' in html


def test_a_reversed_date_range_is_named(client, data):
    _login(client, "operator")
    response = client.get("/insight/", {"start": "2026-02-01", "end": "2026-01-01"})
    assert response.status_code == 200
    assert "The range starts (2026-02-01) after it ends (2026-01-01)." in response.content.decode()
    response = client.get("/insight/export/channels.csv", {"start": "yesterday"})
    assert response.status_code == 400 and b"Enter a valid date" in response.content


def test_csv_exports_escape_formulas(client, data):
    _login(client, "operator")
    response = client.get("/insight/export/comments.csv", {"communication": data.bills.key})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "answered_at,kind,score,comment,message,customer"
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    channels = client.get("/insight/export/channels.csv", {"batch": data.batch2.pk})
    lines = channels.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("email,3,2,")
    assert client.get("/insight/export/nothing.csv").status_code == 404


def test_every_figure_exports(client, data):
    from insight.selectors.report import FIGURE_NAMES

    _login(client, "approver")
    for name in FIGURE_NAMES:
        response = client.get(f"/insight/export/{name}.csv")
        assert response.status_code == 200, name


def test_a_designer_sets_a_goal_and_a_survey(client, data):
    _login(client, "designer")
    url = f"/insight/communications/{data.bills.key}/"
    response = client.post(
        url + "goals/",
        {"name": "Half open", "metric": "opened_rate", "target": "50", "within_days": "7"},
    )
    assert response.status_code == 302
    assert Goal.objects.get().name == "Half open"
    client.post(url + "goals/", {"name": "Clicks", "metric": "link_clicks", "target": "5"})
    assert Goal.objects.count() == 1  # a link goal needs the link's name
    client.post(url + "goals/", {"name": "Too much", "metric": "opened_rate", "target": "150"})
    assert Goal.objects.count() == 1
    html = client.get(url).content.decode()
    assert "Half open" in html and "reached" in html  # 50.0% of 50
    client.post(url + "survey/", {"kind": "csat", "question": "Was this clear?"})
    assert Survey.objects.get(communication=data.bills).kind == "csat"


def test_an_operator_cannot_change_goals(client, data):
    _login(client, "operator")
    url = f"/insight/communications/{data.bills.key}/goals/"
    response = client.post(url, {"name": "x", "metric": "opened_rate", "target": "5"})
    assert response.status_code == 403


def test_the_api_gives_the_same_figures(data, settings):
    settings.CCM_PRINT_DUPLEX = True
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["operator"]))
    response = client.get("/api/insight/figures", {"communication": data.bills.key})
    assert response.status_code == 200
    body = response.json()
    everything = next(r for r in body["channels"]["rows"] if r["channel"] == "all")
    assert everything["sent"] == 10
    assert float(everything["delivery_rate"]) == 75.0
    nps = next(r for r in body["survey"]["rows"] if r["kind"] == "nps")
    assert float(nps["nps"]) == 16.7
    one = client.get("/api/insight/figures/print", {"batch": data.batch1.pk}).json()
    assert one["rows"] == [
        {"letters": 2, "print_files": 1, "pages": 5, "sheets": 3, "duplex": True}
    ]
    assert client.get("/api/insight/figures/nothing").status_code == 404
    bad = client.get("/api/insight/figures", {"end": "31/12/2026"})
    assert bad.status_code == 400 and "end" in bad.json()
    assert client.get("/api/insight/goals").status_code == 200


def test_the_api_refuses_roles_without_insight_and_is_documented(data):
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["auditor"]))
    assert client.get("/api/insight/figures").status_code == 403
    client.force_authenticate(UserFactory(roles=["operator"]))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "/api/insight/figures" in schema["paths"]
    assert "/api/insight/figures/{figure}" in schema["paths"]


def test_the_customer_page_shows_the_survey_answer(client, data):
    # A role that sees every client's messages (the seed's batches belong to another user).
    _login(client, "compliance_officer")
    customer = data.messages["s1"].customer
    html = client.get(f"/customers/{customer.external_id}/").content.decode()
    assert f'data-survey-answer="{data.messages["s1"].pk}"' in html
    assert "NPS 3" in html and "HYPERLINK" in html
