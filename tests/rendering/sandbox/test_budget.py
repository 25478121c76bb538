"""The render budget against hostile templates and hostile data: each one fails within
the budget as a template error in the preview (through the views), fails its own
message alone in the pipeline, and keeps the process answering /healthz.

Every case is measured loosely: a render over the budget must stop in a few seconds of
CPU and without growing the process by more than a little memory (a correctness guard,
not a speed target)."""

import json
import resource
import threading
import time

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from channels import services
from channels.models import Message
from channels.services.test_sends import version_test_send
from rendering.exceptions import RenderBudgetError, RenderError
from rendering.html import html_too_deep
from rendering.pdf import render_pdf
from rendering.render import render_content
from rendering.sandbox.budget import operation_budget
from templates_store.lint import ERROR, version_lint
from templates_store.models import TemplateVariant
from tests.factories.ccm import UserFactory
from tests.factories.templates_store import (
    BrandFactory,
    CommunicationFactory,
    TemplateVersionFactory,
    published_version,
)

pytestmark = pytest.mark.django_db

# CPU seconds and megabytes one hostile case may take, whatever the machine's load.
CPU_CEILING = 5.0
MEMORY_CEILING_MB = 200
BUDGET = "over the render budget"

# Over the budget whatever the data.
HOSTILE = {
    # The finding: 10**999 squared 16 times held a worker for minutes.
    "power_squared": "{% set n = 10**999 %}" + "{% set n = n * n %}" * 16 + "{{ n }}",
    "squares_of_an_allowed_integer": "{% set n = 10**99 %}{% set n = n * n %}{{ n * n }}",
    "power_tower": "{{ 9 ** (9 ** 9) }}",
    "power_big": "{{ 10 ** 999 }}",
    "product_of_big": "{% set n = 10**60 %}{{ n * n * n }}",
    "percent_width": "{{ '%0999999999d' % 1 }}",
    "percent_precision": "{{ '%.999999999f' % 1.0 }}",
    "percent_star": "{{ '%*d' % (999999999, 1) }}",
    "percent_named": "{{ '%(a)0999999999d' % {'a': 1} }}",
    "format_filter": "{{ '%0999999999d'|format(1) }}",
    "str_format_width": "{{ '{:>999999999}'.format(1) }}",
    "str_format_nested_width": "{{ '{:>{w}}'.format(1, w=999999999) }}",
    "str_format_precision": "{{ '{:.999999999f}'.format(1.0) }}",
    "str_format_many_fields": "{{ ('{:>900000}' * 50).format(*range(50)) }}",
    "center_filter": "{{ 'x'|center(999999999) }}",
    "center_method": "{{ 'x'.center(999999999) }}",
    "ljust": "{{ 'x'.ljust(999999999) }}",
    "rjust": "{{ 'x'.rjust(999999999, '0') }}",
    "zfill": "{{ '1'.zfill(999999999) }}",
    "indent": "{{ ('a\n' * 1000)|indent(999999) }}",
    "wordwrap": "{{ ('a ' * 100000)|wordwrap(1, wrapstring='x' * 1000) }}",
    "expandtabs": "{{ ('\t' * 1000).expandtabs(999999) }}",
    "replace_filter": "{{ ('a' * 10000)|replace('a', 'b' * 10000) }}",
    "replace_empty": "{{ ('a' * 10000).replace('', 'b' * 10000) }}",
    "translate": "{{ ('a' * 10000).translate({97: 'b' * 10000}) }}",
    "string_repetition": "{{ 'x' * 10**9 }}",
    "list_repetition": "{{ ([1] * 10**8)|length }}",
    "join_of_repetition": "{{ (['x' * 100000] * 100)|join }}",
    "join_separator": "{{ range(10000)|join('x' * 1000) }}",
    "lists_sharing_a_string": (
        "{% set a = ['x' * 1000] %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}"
        "{% set c = [b, b, b, b, b, b, b, b, b, b] %}{% set d = [c, c, c, c, c, c, c, c, c, c] %}"
        "{{ [d, d, d, d, d, d, d, d, d, d] }}"
    ),
    "pprint_of_shared_lists": "{% set a = ['x' * 1000] * 1000 %}{{ [a, a, a, a, a]|pprint }}",
    "concatenation_doubling": (
        "{% set ns = namespace(s='x' * 1000) %}{% for i in range(30) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"
    ),
    "list_growing": (
        "{% set ns = namespace(l=[]) %}{% for i in range(2000) %}"
        "{% set ns.l = ns.l + ['x' * 1000] %}{% endfor %}{{ ns.l|length }}"
    ),
    "nested_loops": (
        "{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}done"
    ),
    "nested_loops_over_lists": (
        "{% set items = range(5000)|list %}"
        "{% for a in items %}{% for b in items %}{% endfor %}{% endfor %}done"
    ),
    "macro_recursion": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "macro_fan_out": (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"
    ),
    "macro_output": (
        "{% macro m() %}{% for i in range(10000) %}{{ 'x' * 900000 }}{% endfor %}"
        "{% endmacro %}{{ m()|length }}"
    ),
    "set_block_output": (
        "{% set x %}{% for i in range(10000) %}{{ 'x' * 900000 }}{% endfor %}{% endset %}"
        "{{ x|length }}"
    ),
    "map_then_join": "{{ range(10000)|map('center', 900000)|join }}",
    "map_then_list": "{{ (range(10000)|map('center', 900000)|list)|length }}",
    "block_reference": (
        "{% block a %}{% for i in range(10000) %}{{ 'x' * 900000 }}{% endfor %}{% endblock %}"
        "{{ self.a()|length }}"
    ),
    "call_block": (
        "{% macro m() %}{{ caller() }}{{ caller() }}{% endmacro %}{% call m() %}"
        "{% for i in range(10000) %}{{ 'x' * 900000 }}{% endfor %}{% endcall %}"
    ),
    "filter_block": (
        "{% filter upper %}{% for i in range(10000) %}{{ 'x' * 900000 }}{% endfor %}{% endfilter %}"
    ),
    "namespace_of_shared_lists": (
        "{% set a = ['x' * 1000] %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}"
        "{% set c = [b, b, b, b, b, b, b, b, b, b] %}{% set d = [c, c, c, c, c, c, c, c, c, c] %}"
        "{% set ns = namespace(v=[d, d, d, d, d, d, d, d, d, d]) %}{{ ns }}"
    ),
    "dict_items_of_shared_lists": (
        "{% set a = ['x' * 1000] %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}"
        "{% set c = [b, b, b, b, b, b, b, b, b, b] %}{% set d = [c, c, c, c, c, c, c, c, c, c] %}"
        "{{ {'k': [d, d, d, d, d, d, d, d, d, d]}.items() }}"
    ),
    "theme_repetition": "{{ [theme] * 100000 }}",
    "output_flood": "{% for i in range(9000) %}{{ 'y' * 1000 }}{% endfor %}",
    "lipsum": "{{ lipsum(10**7) }}",
    "to_bytes": "{{ (1).to_bytes(10**9, 'big')|length }}",
    "batch_fill": "{{ [1]|batch(10**9, 0)|list|length }}",
    "slice_count": "{{ [1]|slice(10**8)|list|length }}",
    "sum_of_lists": "{{ ([[1]] * 500000)|sum(start=[])|length }}",
    "money_exponent": "{{ '1e999999999'|money('EUR') }}",
    "number_exponent": "{{ '1e999999999'|number }}",
    "deep_nesting": "<div>" * 20000 + "x" + "</div>" * 20000,
    "deep_self_closing_divs": "<div/>" * 20000 + "x",
}

# Within the budget with the small sample data (lint passes), over it with a batch row's.
DATA_DRIVEN = {
    "repeat_by_data": ("{{ word * times }}", {"word": "ab", "times": 3}, {"times": 10**9}),
    "power_by_data": ("{{ base ** exponent }}", {"base": 10, "exponent": 3}, {"exponent": 999}),
    "squares_by_data": (
        "{% set ns = namespace(n=base) %}{% for i in range(rounds) %}"
        "{% set ns.n = ns.n * ns.n %}{% endfor %}{{ ns.n }}",
        {"base": 10, "rounds": 2},
        {"base": 10**99, "rounds": 16},
    ),
    "width_by_data": ("{{ '%0*d' % (width, 1) }}", {"width": 5}, {"width": 999999999}),
    "format_width_by_data": (
        "{{ '{:>{w}}'.format(word, w=width) }}",
        {"width": 5},
        {"width": 999999999},
    ),
    "center_by_data": ("{{ word|center(width) }}", {"width": 5}, {"width": 999999999}),
    "loops_over_data": (
        "{% for a in items %}{% for b in items %}{% endfor %}{% endfor %}{{ word }}",
        {"items": [1, 2, 3]},
        {"items": list(range(1000))},
    ),
    "join_of_data": (
        "{{ (items * times)|join(word) }}",
        {"items": [1], "times": 2},
        {
            "items": ["x" * 1000] * 100,
            "times": 100,
        },
    ),
}


def _defaults(sample, row=None):
    """The case's data: its sample, with the large row's fields over it when given."""
    return {"word": "ab", "times": 1, **sample, **(row or {})}


def _cpu_and_memory():
    return time.thread_time(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _assert_within_ceilings(before):
    cpu, memory = _cpu_and_memory()
    assert cpu - before[0] < CPU_CEILING
    assert memory - before[1] < MEMORY_CEILING_MB


def _editor_post(version, channel, source, data):
    fields = {"locale": "en", "only": channel, "sample_data": json.dumps(data)}
    if channel == "sms":
        fields["sms-body_text"] = source
    else:
        fields.update({f"{channel}-subject": "Hello", f"{channel}-body_html": source})
    return fields


def _diagnostics(response):
    return json.loads(response["HX-Trigger"])["ccm:diagnostics"]["channels"]


def _draft(designer, *, channel="email", source="", sample=None):
    communication = CommunicationFactory(
        brand=BrandFactory(), data_schema={"type": "object"}, key=f"budget-{channel}"
    )
    version = TemplateVersionFactory(
        communication=communication, author=designer, sample_data=sample or {"word": "ab"}
    )
    fields = {"body_text": source} if channel == "sms" else {"subject": "Hi", "body_html": source}
    TemplateVariant.objects.create(version=version, channel=channel, locale="en", **fields)
    return version


@pytest.fixture
def designer():
    return UserFactory(roles=["designer"])


class PreviewBudgetTests:
    @pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
    @pytest.mark.parametrize("channel", ["email", "print"])
    def test_a_hostile_template_is_a_template_error_in_the_preview(
        self, client, designer, source, channel
    ):
        version = _draft(designer, channel=channel)
        client.force_login(designer)
        before = _cpu_and_memory()
        response = client.post(
            reverse("templates_store:version_preview_live", args=[version.pk]),
            _editor_post(version, channel, source, {"word": "ab"}),
        )
        _assert_within_ceilings(before)
        assert response.status_code == 200
        [problem] = [d for d in _diagnostics(response)[channel] if BUDGET in d["message"]]
        assert problem["field"] == "body_html"

    @pytest.mark.parametrize("source", [s for s in HOSTILE.values() if "<div" not in s])
    def test_a_hostile_sms_is_a_template_error_in_the_preview(self, client, designer, source):
        version = _draft(designer, channel="sms")
        client.force_login(designer)
        response = client.post(
            reverse("templates_store:version_preview_live", args=[version.pk]),
            _editor_post(version, "sms", source, {"word": "ab"}),
        )
        assert response.status_code == 200
        assert any(BUDGET in d["message"] for d in _diagnostics(response)["sms"])

    @pytest.mark.parametrize(
        ("source", "sample", "row"), DATA_DRIVEN.values(), ids=DATA_DRIVEN.keys()
    )
    def test_data_that_blows_the_budget_is_a_template_error_in_the_preview(
        self, client, designer, source, sample, row
    ):
        version = _draft(designer, channel="email")
        client.force_login(designer)
        url = reverse("templates_store:version_preview_live", args=[version.pk])
        small = client.post(url, _editor_post(version, "email", source, _defaults(sample)))
        assert _diagnostics(small)["email"] == []
        before = _cpu_and_memory()
        large = client.post(url, _editor_post(version, "email", source, _defaults(sample, row)))
        _assert_within_ceilings(before)
        assert any(BUDGET in d["message"] for d in _diagnostics(large)["email"])


class PipelineBudgetTests:
    def _published(self, source, channel="email"):
        communication = CommunicationFactory(data_schema={"type": "object"})
        fields = (
            {"body_text": source} if channel == "sms" else {"subject": "Hi", "body_html": source}
        )
        return published_version(communication=communication, content={(channel, "en"): fields})

    def _send(self, version, rows, capture):
        with capture(execute=True):
            batch = services.batch_create(
                communication=version.communication, rows=rows, created_by=UserFactory()
            )
        return list(Message.objects.filter(batch=batch).order_by("pk"))

    @pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
    def test_a_hostile_template_fails_its_message_with_the_budget_reason(
        self, django_capture_on_commit_callbacks, source
    ):
        version = self._published(source)
        before = _cpu_and_memory()
        [message] = self._send(
            version,
            [{"email": "a@example.org", "data": {"word": "ab"}}],
            django_capture_on_commit_callbacks,
        )
        _assert_within_ceilings(before)
        assert message.status == Message.Status.FAILED
        assert BUDGET in message.last_error
        assert mail.outbox == []

    @pytest.mark.parametrize(
        ("source", "sample", "row"), DATA_DRIVEN.values(), ids=DATA_DRIVEN.keys()
    )
    def test_large_row_data_fails_that_message_alone_after_lint_passed(
        self, django_capture_on_commit_callbacks, source, sample, row
    ):
        version = self._published(source)
        version.sample_data = _defaults(sample)
        version.save(update_fields=["sample_data"])
        assert [i for i in version_lint(version=version) if i.level == ERROR] == []
        before = _cpu_and_memory()
        small, large, also_small = self._send(
            version,
            [
                {"email": "a@example.org", "data": _defaults(sample)},
                {"email": "b@example.org", "data": _defaults(sample, row)},
                {"email": "c@example.org", "data": _defaults(sample)},
            ],
            django_capture_on_commit_callbacks,
        )
        _assert_within_ceilings(before)
        assert large.status == Message.Status.FAILED and BUDGET in large.last_error
        assert large.attempts <= 1  # failed for good, not retried
        assert small.status == also_small.status == Message.Status.SENT
        sent_to = sorted(address for email in mail.outbox for address in email.to)
        assert [a.split("<")[-1].rstrip(">") for a in sent_to] == ["a@example.org", "c@example.org"]

    def test_a_letter_nested_too_deep_fails_its_message_alone(
        self, django_capture_on_commit_callbacks
    ):
        version = self._published("{{ ('<div>' * depth)|safe }}x", channel="print")
        address = "1 Sample Street\nSampletown\nSA1 1AA"
        deep, shallow = self._send(
            version,
            [
                {"address": address, "name": "A", "data": {"depth": 20000}},
                {"address": address, "name": "B", "data": {"depth": 3}},
            ],
            django_capture_on_commit_callbacks,
        )
        assert deep.status == Message.Status.FAILED
        assert "nested more than" in deep.last_error
        assert shallow.status != Message.Status.FAILED


class TestSendBudgetTests:
    def test_a_test_send_of_a_hostile_template_fails_with_the_budget_reason(self, designer):
        version = _draft(designer, channel="email", source=HOSTILE["percent_width"])
        with pytest.raises(RenderBudgetError, match="formatted text over"):
            version_test_send(
                version=version, actor=designer, channel="email", locale="en", to=designer.email
            )
        assert mail.outbox == []


DEEP = "<div>" * 20000 + "x" + "</div>" * 20000


class DeepNestingTests:
    @pytest.fixture
    def deep_letter(self, designer):
        return _draft(designer, channel="print", source=DEEP)

    def test_the_pdf_preview_is_a_clear_error(self, client, designer, deep_letter):
        client.force_login(designer)
        response = client.get(
            reverse("templates_store:version_preview_pdf", args=[deep_letter.pk]),
            {"locale": "en"},
        )
        assert response.status_code == 422
        assert "nested more than 64 elements deep" in response.content.decode()

    def test_lint_reports_it_on_the_field(self, client, designer, deep_letter):
        [issue] = [i for i in version_lint(version=deep_letter) if i.level == ERROR]
        assert issue.field == "body_html" and "nested more than 64" in issue.message
        client.force_login(designer)
        response = client.get(reverse("templates_store:version_checks", args=[deep_letter.pk]))
        assert response.status_code == 200
        assert "nested more than 64" in response.content.decode()

    def test_submit_refuses_it_with_the_reason(self, client, designer, deep_letter):
        client.force_login(designer)
        response = client.post(
            reverse("templates_store:version_submit", args=[deep_letter.pk]), follow=True
        )
        assert response.status_code == 200
        assert "nested more than 64" in response.content.decode()
        deep_letter.refresh_from_db()
        assert deep_letter.status == "draft"

    def test_an_email_nested_too_deep_is_refused_before_the_css_inliner(self):
        with pytest.raises(RenderBudgetError, match="nested more than 64"):
            render_content(
                channel="email",
                locale="en",
                brand=BrandFactory(),
                subject="Hi",
                body_html="<style>p { color: red }</style>" + DEEP,
                body_text="",
                data={},
            )

    def test_a_letter_parsed_deeper_than_its_tags_read_is_refused_before_layout(self):
        # The parser adds a <tbody> to each table: 48 levels as written, 64 and more parsed.
        tables = "<table><tr><td>" * 16 + "x" + "</td></tr></table>" * 16
        letter = render_content(
            channel="print",
            locale="en",
            brand=BrandFactory(),
            subject="Hi",
            body_html=tables,
            body_text="",
            data={},
        )
        with pytest.raises(RenderBudgetError, match="nested more than 64"):
            render_pdf(letter)

    def test_void_elements_and_implied_end_tags_are_not_nesting(self):
        flat = (
            "<ul>"
            + "<li>item" * 500
            + "</ul>"
            + "<br>" * 500
            + "<p>para" * 500
            + "<table>"
            + "<tr><td>cell" * 500
            + "</table><!-- <div>"
            + "<div>" * 500
            + " --><style>"
            + "<div>" * 500
            + "</style>"
            + "<svg>"
            + "<path/>" * 500
            + "</svg>"
        )
        assert not html_too_deep(flat, 64)
        assert html_too_deep("<div/>" * 65, 64)  # not self-closing in HTML
        assert html_too_deep("<span>" * 65 + "</span>" * 65, 64)
        assert not html_too_deep(("<span>" * 32 + "</span>" * 32) * 50, 64)

    def test_ordinary_nesting_still_renders_a_letter(self, designer):
        letter = _draft(designer, channel="print", source="<div>" * 40 + "x" + "</div>" * 40)
        assert [i for i in version_lint(version=letter) if i.level == ERROR] == []


@pytest.mark.django_db(transaction=True)
class HealthWhileHostileTests:
    def test_healthz_answers_while_a_hostile_preview_runs(self):
        designer = UserFactory(roles=["designer"])
        version = _draft(designer, channel="email")
        hostile = Client()
        hostile.force_login(designer)
        results = {}

        def preview(name, source):
            started = time.monotonic()
            try:
                response = hostile.post(
                    reverse("templates_store:version_preview_live", args=[version.pk]),
                    _editor_post(version, "email", source, {"word": "ab"}),
                )
                elapsed = time.monotonic() - started
                results[name] = (response.status_code, response.get("HX-Trigger", ""), elapsed)
            finally:
                connection.close()

        threads = [
            threading.Thread(target=preview, args=(name, HOSTILE[name]))
            for name in ("power_squared", "macro_fan_out", "nested_loops_over_lists")
        ]
        for thread in threads:
            thread.start()
        health = Client()
        slowest = 0.0
        while any(thread.is_alive() for thread in threads):
            started = time.monotonic()
            assert health.get("/healthz").status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.05)
        for thread in threads:
            thread.join()
        assert slowest < 1.0
        assert sorted(results) == ["macro_fan_out", "nested_loops_over_lists", "power_squared"]
        assert all(status == 200 and BUDGET in body for status, body, _ in results.values())
        # A sync web worker is taken for as long as its request runs: each one ends soon.
        assert all(elapsed < 2 * CPU_CEILING for _, _, elapsed in results.values())


class TextPartTests:
    """The text part of an email is made from the rendered HTML, after the budget."""

    @pytest.mark.parametrize(
        "run",
        ['<a href="https://x.example">', "<style>", "<script>"],
        ids=["unclosed_links", "unclosed_styles", "unclosed_scripts"],
    )
    def test_runs_of_unclosed_elements_are_read_once(self, run):
        before = _cpu_and_memory()
        rendered = render_content(
            channel="email",
            locale="en",
            brand=BrandFactory(),
            subject="Hi",
            body_html=f"{{% for i in range(9000) %}}{run}{{% endfor %}}x",
            body_text="",
            data={},
        )
        _assert_within_ceilings(before)
        assert rendered.html

    def test_tags_within_tags_are_a_template_error_not_a_crash(self):
        with pytest.raises(RenderError, match="too many tags within tags"):
            render_content(
                channel="email",
                locale="en",
                brand=BrandFactory(),
                subject="Hi",
                body_html="<a" + "<b" * 60 + "x" * 1000,
                body_text="",
                data={},
            )


# Each iteration replaces within a long text: a few milliseconds, far fewer iterations
# than the loop limit; the loop runs until the CPU budget stops it.
CPU_HEAVY = (
    "{% for i in range(9000) %}{% for j in range(10) %}"
    "{% set s = ('ab' * 200000)|replace('a', 'c') %}{% endfor %}{% endfor %}{{ word }}"
)
OPERATION_BUDGET_SECONDS = 1


@pytest.fixture
def heavy_version(designer, settings):
    """A draft whose email, SMS and letter, in English and Japanese, each loop on the CPU."""
    settings.CCM_RENDER_MAX_CPU_SECONDS = OPERATION_BUDGET_SECONDS
    communication = CommunicationFactory(
        brand=BrandFactory(), data_schema={"type": "object"}, key="budget-heavy"
    )
    version = TemplateVersionFactory(
        communication=communication, author=designer, sample_data={"word": "ab"}
    )
    for locale in ("en", "ja"):
        for channel in ("email", "sms", "print"):
            fields = (
                {"body_text": CPU_HEAVY}
                if channel == "sms"
                else {"subject": "Hi", "body_html": CPU_HEAVY}
            )
            TemplateVariant.objects.create(
                version=version, channel=channel, locale=locale, **fields
            )
    return version


def _assert_one_budget(before):
    # One budget for the whole request, with room for the request itself.
    assert time.thread_time() - before < 1.5 * OPERATION_BUDGET_SECONDS


class OperationBudgetTests:
    """A preview, lint, submission or test send has one CPU budget for every channel and
    language it renders, not one per render."""

    def test_a_live_preview_of_every_channel_shares_one_budget(
        self, client, designer, heavy_version
    ):
        client.force_login(designer)
        fields = {"locale": "en", "sample_data": json.dumps({"word": "ab"})}
        fields.update({"email-subject": "Hi", "email-body_html": CPU_HEAVY})
        fields.update({"print-subject": "Hi", "print-body_html": CPU_HEAVY})
        fields["sms-body_text"] = CPU_HEAVY
        before = time.thread_time()
        response = client.post(
            reverse("templates_store:version_preview_live", args=[heavy_version.pk]), fields
        )
        _assert_one_budget(before)
        assert response.status_code == 200
        diagnostics = _diagnostics(response)
        for channel in ("email", "sms", "print"):
            assert any("seconds of CPU" in d["message"] for d in diagnostics[channel]), channel

    def test_the_api_preview_shares_one_budget(self, client, designer, heavy_version):
        client.force_login(designer)
        url = reverse(
            "api-version-preview",
            args=[heavy_version.communication.key, heavy_version.number],
        )
        before = time.thread_time()
        response = client.get(url, {"locale": "ja"})
        _assert_one_budget(before)
        assert response.status_code == 200
        errors = [p["error"] for p in response.json()]
        assert all(e and "seconds of CPU" in e["message"] for e in errors), errors

    def test_lint_of_every_channel_and_language_shares_one_budget(
        self, client, designer, heavy_version
    ):
        client.force_login(designer)
        before = time.thread_time()
        response = client.get(reverse("templates_store:version_checks", args=[heavy_version.pk]))
        _assert_one_budget(before)
        assert response.status_code == 200
        assert response.content.count(b"seconds of CPU") == 6

    def test_lint_called_directly_shares_one_budget(self, heavy_version):
        before = time.thread_time()
        issues = version_lint(version=heavy_version)
        _assert_one_budget(before)
        over = [i for i in issues if i.level == ERROR and "seconds of CPU" in i.message]
        assert {(i.channel, i.locale) for i in over} == {
            (c, loc) for c in ("email", "sms", "print") for loc in ("en", "ja")
        }

    def test_submit_shares_one_budget_and_is_refused(self, client, designer, heavy_version):
        client.force_login(designer)
        before = time.thread_time()
        response = client.post(
            reverse("templates_store:version_submit", args=[heavy_version.pk]), {"locale": "en"}
        )
        _assert_one_budget(before)
        assert response.status_code == 302
        heavy_version.refresh_from_db()
        assert heavy_version.status == heavy_version.Status.DRAFT

    def test_each_render_keeps_its_own_budget_outside_an_operation(self, settings):
        # The pipeline opens no operation: every message has a whole budget.
        settings.CCM_RENDER_MAX_CPU_SECONDS = OPERATION_BUDGET_SECONDS
        brand = BrandFactory()
        for _ in range(2):
            before = time.thread_time()
            with pytest.raises(RenderBudgetError, match="the template used more than 1 seconds"):
                render_content(
                    channel="email",
                    locale="en",
                    brand=brand,
                    subject="Hi",
                    body_html=CPU_HEAVY,
                    body_text="",
                    data={"word": "ab"},
                )
            assert time.thread_time() - before > 0.8 * OPERATION_BUDGET_SECONDS

    def test_a_cheap_render_after_the_budget_is_spent_is_refused_at_once(self, settings):
        settings.CCM_RENDER_MAX_CPU_SECONDS = OPERATION_BUDGET_SECONDS
        brand = BrandFactory()
        kwargs = {"locale": "en", "brand": brand, "subject": "Hi", "body_text": ""}
        with operation_budget():
            with pytest.raises(RenderBudgetError):
                render_content(channel="email", body_html=CPU_HEAVY, data={"word": "ab"}, **kwargs)
            with pytest.raises(RenderBudgetError, match="rendered together"):
                render_content(
                    channel="email", body_html="{{ word }}", data={"word": "ab"}, **kwargs
                )
        # A new operation has a whole budget again.
        with operation_budget():
            rendered = render_content(
                channel="email", body_html="{{ word }}", data={"word": "ab"}, **kwargs
            )
        assert "ab" in rendered.html


class PreviewRateLimitTests:
    """Each person's previews and lints are limited: at once and per period."""

    @pytest.fixture(autouse=True)
    def _fresh_counts(self):
        from django.core.cache import cache

        cache.clear()
        yield
        cache.clear()

    def _post(self, client, version):
        return client.post(
            reverse("templates_store:version_preview_live", args=[version.pk]),
            _editor_post(version, "email", "{{ word }}", {"word": "ab"}),
        )

    def test_over_the_rate_is_429_with_retry_after(self, client, designer, settings):
        settings.CCM_RENDER_RATE_LIMIT = "3/min"
        version = _draft(designer, channel="email", source="{{ word }}")
        client.force_login(designer)
        assert [self._post(client, version).status_code for _ in range(3)] == [200] * 3
        refused = self._post(client, version)
        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert "at most 3 in 60 seconds" in refused.content.decode()
        # Another person has a budget of their own.
        other = UserFactory(roles=["designer"])
        client.force_login(other)
        assert self._post(client, version).status_code == 200

    def test_the_api_lint_is_limited_too(self, client, designer, settings):
        settings.CCM_RENDER_RATE_LIMIT = "1/min"
        version = _draft(designer, channel="email", source="{{ word }}")
        client.force_login(designer)
        url = reverse("api-version-lint", args=[version.communication.key, version.number])
        assert client.get(url).status_code == 200
        refused = client.get(url)
        assert refused.status_code == 429
        assert "Too many previews and checks" in refused.json()["detail"]
        assert refused["Retry-After"]

    def test_too_many_at_once_is_429(self, client, designer, settings):
        from django.core.cache import cache

        settings.CCM_RENDER_CONCURRENT_PER_USER = 2
        version = _draft(designer, channel="email", source="{{ word }}")
        client.force_login(designer)
        # Two of this person's previews still running (in other processes).
        cache.set(f"render:running:user:{designer.pk}", 2, timeout=60)
        refused = self._post(client, version)
        assert refused.status_code == 429
        assert refused["Retry-After"] == "1"
        assert "at the same time (at most 2)" in refused.content.decode()
        cache.set(f"render:running:user:{designer.pk}", 1, timeout=60)
        assert self._post(client, version).status_code == 200
        # Its slot was given back.
        assert cache.get(f"render:running:user:{designer.pk}") == 1

    def test_live_typing_stays_under_the_defaults(self, client, designer):
        # A pause in typing every 600 ms for a minute, as the editor's debounce sends them.
        version = _draft(designer, channel="email", source="{{ word }}")
        client.force_login(designer)
        statuses = {self._post(client, version).status_code for _ in range(100)}
        assert statuses == {200}
