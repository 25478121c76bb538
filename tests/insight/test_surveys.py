"""Survey links in rendered messages, one-click answers, and the bad input they survive."""

import re
from html import unescape

import pytest
from django.utils import timezone

from ccm.roles import COMPLIANCE_OFFICER
from channels.models import Message
from channels.senders.base import message_render
from insight import services
from insight.models import Survey, SurveyAnswer
from insight.surveys import Reference, token_make
from insight.timeline import customer_timeline
from templates_store.lint import version_lint
from tests.factories.ccm import UserFactory
from tests.factories.customers import CustomerFactory
from tests.factories.templates_store import CONTENT, CommunicationFactory, published_version

pytestmark = pytest.mark.django_db

SURVEY_CONTENT = {
    **CONTENT,
    ("email", "en"): {
        "subject": "Your bill",
        "body_html": "<p>Dear {{ first_name }}</p>{{ survey_links() }}"
        '<p><a href="{{ survey_link(5) }}">Loved it</a></p>',
        "body_text": "Dear {{ first_name }}, tell us: {{ survey_link() }}",
    },
    ("sms", "en"): {"body_text": "Acme: how did we do? {{ survey_link() }}"},
    ("print", "en"): {
        "subject": "Your bill",
        "body_html": "<p>Dear {{ first_name }}</p><p>Scan: {{ survey_qr() }}</p>",
    },
}


@pytest.fixture
def version():
    communication = CommunicationFactory(key="bill")
    services.survey_set(communication=communication, kind=Survey.Kind.NPS)
    return published_version(communication=communication, content=SURVEY_CONTENT)


def _message(version, channel="email", customer=None):
    customer = customer or CustomerFactory()
    recipient = {"email": customer.email, "sms": customer.phone, "print": customer.postal_address}
    return Message.objects.create(
        version=version,
        customer=customer,
        channel=channel,
        locale="en",
        recipient=recipient[channel],
        recipient_name=customer.name,
        data={"first_name": "Alex", "amount": 10, "due_date": "2026-12-15"},
        status=Message.Status.SENT,
        sent_at=timezone.now(),
    )


def _links(html):
    return [unescape(h) for h in re.findall(r'href="([^"]+/s/[^"]+)"', html)]


def _path(url):
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_the_email_carries_one_link_per_score_and_a_click_records_it(client, version):
    message = _message(version)
    rendered = message_render(message)
    links = _links(rendered.html)
    assert len(links) == 12  # 0..10, plus the "Loved it" link for 5
    assert "How likely are you to recommend us" in rendered.html
    # The same message always renders the same links (the archive's re-render matches).
    assert _links(message_render(message).html) == links
    response = client.get(_path(links[9]))
    assert response.status_code == 200
    assert "We recorded your answer: 9." in response.content.decode()
    answer = SurveyAnswer.objects.get()
    assert (answer.message, answer.customer, answer.score) == (message, message.customer, 9)


def test_a_repeated_answer_replaces_the_first(client, version):
    message = _message(version)
    links = _links(message_render(message).html)
    client.get(_path(links[3]))
    client.get(_path(links[3]))
    client.get(_path(links[10]))
    answer = SurveyAnswer.objects.get()
    assert (answer.score, answer.times_answered) == (10, 3)


def test_answers_of_two_customers_are_kept_apart(client, version):
    first, second = _message(version), _message(version)
    client.get(_path(_links(message_render(first).html)[2]))
    client.get(_path(_links(message_render(second).html)[8]))
    assert dict(SurveyAnswer.objects.values_list("message_id", "score")) == {
        first.pk: 2,
        second.pk: 8,
    }


def test_forged_and_altered_tokens_are_refused(client, version):
    message = _message(version)
    link = _links(message_render(message).html)[4]
    path = _path(link)
    token = path.split("/")[2]
    value, signature = token.split(":")
    altered = f"{value[:-1]}9:{signature}"  # the score changed, the signature kept
    for bad in (altered, "1.e.20260101.abcdefabcdef.5:forged", "nonsense"):
        response = client.get(f"/s/{bad}/")
        assert response.status_code == 400
        assert "This survey link is not valid." in response.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_a_score_outside_the_scale_is_refused(client, version):
    message = _message(version)
    links = _links(message_render(message).html)  # sent with an NPS scale, 0 to 10
    services.survey_set(communication=version.communication, kind=Survey.Kind.CSAT)
    response = client.get(_path(links[8]))
    assert response.status_code == 400
    assert "scale (1 to 5)" in unescape(response.content.decode())
    assert client.get(_path(links[0])).status_code == 400
    # Rendered now, the links follow the CSAT scale.
    assert len(_links(message_render(message).html)) == 5 + 1
    assert not SurveyAnswer.objects.exists()


def test_survey_link_refuses_a_score_the_template_gets_wrong(version):
    from rendering.exceptions import RenderError
    from rendering.render import render_content

    with pytest.raises(RenderError, match="whole number 0-10"):
        render_content(
            channel="sms",
            locale="en",
            brand=version.communication.brand,
            subject="",
            body_html="",
            body_text="{{ survey_link(11) }}",
            data={},
            version=version,
        )


def test_an_unknown_message_and_a_preview_are_refused(client, version):
    reference = Reference(
        version_id=version.pk, channel="email", day=timezone.localdate(), digest="0" * 12
    )
    response = client.get(f"/s/{token_make(reference, 5)}/")
    assert response.status_code == 404
    assert "could not find the message" in response.content.decode()
    preview = Reference(version_id=0, channel="email", day=timezone.localdate(), digest="0" * 12)
    response = client.get(f"/s/{token_make(preview, 5)}/")
    assert response.status_code == 404 and "preview" in response.content.decode()


def test_a_closed_survey_records_nothing(client, version):
    message = _message(version)
    link = _links(message_render(message).html)[5]
    services.survey_remove(communication=version.communication)
    response = client.get(_path(link))
    assert response.status_code == 410
    assert not SurveyAnswer.objects.exists()
    # Messages rendered from now on carry no score links (only the template's own one).
    assert len(_links(message_render(message).html)) == 1
    services.survey_set(communication=version.communication, kind=Survey.Kind.NPS)
    assert client.get(_path(link)).status_code == 200  # asking again reopens it


def test_the_comment_follows_the_click_and_is_limited(client, version):
    message = _message(version)
    path = _path(_links(message_render(message).html)[7])
    assert "comment" in client.get(path).content.decode()
    response = client.post(path, {"comment": "  Quick and clear  "})
    assert response.status_code == 200
    assert SurveyAnswer.objects.get().comment == "Quick and clear"
    response = client.post(path, {"comment": "x" * 2001})
    assert response.status_code == 400
    assert SurveyAnswer.objects.get().comment == "Quick and clear"


def test_sms_short_link_and_letter_qr_code_lead_to_the_scale(client, version):
    customer = CustomerFactory()
    sms = _message(version, "sms", customer)
    text = message_render(sms).text
    url = re.search(r"https?://\S+/s/\S+/", text).group(0)
    page = client.get(_path(url))
    assert page.status_code == 200
    choices = re.findall(r'href="([^"]+/s/[^"]+)"', page.content.decode())
    assert len(choices) == 11
    client.get(_path(unescape(choices[6])))
    assert SurveyAnswer.objects.get(message=sms).score == 6
    letter = _message(version, "print", customer)
    html = message_render(letter).html
    assert 'src="data:image/svg+xml' in html and 'alt="QR code of the survey"' in html


def test_lint_accepts_the_survey_functions_and_platform_links(version):
    issues = version_lint(version=version)
    assert not [i for i in issues if i.level == "error"], issues


def test_the_answer_shows_on_the_customers_timeline(client, version):
    message = _message(version)
    client.post(_path(_links(message_render(message).html)[10]))  # POST without a score
    client.get(_path(_links(message_render(message).html)[10]))
    services.survey_comment_save(
        token=_path(_links(message_render(message).html)[10]).split("/")[2], comment="Great"
    )
    timeline = customer_timeline(
        customer=message.customer, viewer=UserFactory(roles=[COMPLIANCE_OFFICER])
    )
    assert timeline[0]["survey_answer"]["score"] == 10
    assert timeline[0]["survey_answer"]["comment"] == "Great"
