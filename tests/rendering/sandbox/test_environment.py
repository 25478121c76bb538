"""Hostile templates: the known Jinja2 sandbox escapes, database access and runaway
templates all end in a clean RenderError, in every field of every channel."""

import pytest

from rendering.exceptions import RenderError
from rendering.render import render_content
from tests.factories.templates_store import BrandFactory, CommunicationFactory

pytestmark = pytest.mark.django_db

SECRET = "attacker-must-not-see-this"

# Escapes fixed in Jinja2's security releases and the classic attribute walks.
ESCAPES = {
    # CVE-2016-10745: str.format reaching attributes.
    "format": '{{ "{0.__class__.__mro__}".format(data) }}',
    # CVE-2019-10906: str.format_map.
    "format_map": '{{ "{a.__class__}".format_map({"a": data}) }}',
    # CVE-2024-56326: a stored reference to str.format, called later.
    "format_indirect": '{% set f = "{0.__class__.__init__.__globals__}".format %}{{ f(data) }}',
    # CVE-2025-27516: the attr filter fetching format.
    "attr_filter_format": '{{ "{0.__class__}"|attr("format")(data) }}',
    "mro_subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "cycler_globals": "{{ cycler.__init__.__globals__.os }}",
    "joiner_globals": "{{ joiner.__init__.__globals__ }}",
    "lipsum_globals": "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "namespace_class": "{{ namespace.__class__.__base__.__subclasses__() }}",
    "attr_filter_dunder": "{{ data|attr('__class__')|attr('__mro__') }}",
    "getitem_dunder": "{{ data['__class__'] }}",
    "self_context": "{{ self._TemplateReference__context }}",
    "loop_internals": "{% for x in [1] %}{{ loop.__class__.__init__.__globals__ }}{% endfor %}",
    "range_globals": "{{ range.__globals__ }}",
    "func_code": "{{ range.__code__ }}",
    # The immutable sandbox: data cannot be changed.
    "list_append": "{{ items.append(1) }}{{ items }}",
    "dict_update": "{{ data.update({'x': 1}) }}",
    "dict_pop": "{{ data.pop('name') }}",
    "set_add": "{{ tags.add(2) }}",
    # The brand is a database object: plain fields only.
    "brand_save": "{{ brand.save() }}",
    "brand_delete": "{{ brand.delete() }}",
    "brand_relations": "{{ brand.communications.all() }}",
    "brand_manager_first": "{{ brand.communications.first().versions.first().author.password }}",
    "brand_full_clean": "{{ brand.full_clean() }}",
    "brand_meta": "{{ brand._meta.apps }}",
    "brand_refresh": "{{ brand.refresh_from_db() }}",
}

RUNAWAYS = {
    "huge_range": "{% for i in range(10**7) %}x{% endfor %}",
    "nested_loops": (
        "{% for a in range(5000) %}{% for b in range(5000) %}{% endfor %}{% endfor %}done"
    ),
    "string_bomb": "{{ 'x' * 10**9 }}",
    "list_bomb": "{{ ([1] * 10**8)|length }}",
    "power_bomb": "{{ 9 ** (9 ** 9) }}",
    "output_flood": "{% for i in range(9000) %}{{ 'y' * 1000 }}{% endfor %}",
    "recursion": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
}

FIELDS = [
    ("email", "subject"),
    ("email", "body_html"),
    ("email", "body_text"),
    ("sms", "body_text"),
    ("print", "body_html"),
]


def _render(channel, field, source, brand=None):
    content = {"subject": "Hi", "body_html": "<p>Hi</p>", "body_text": "Hi"}
    content[field] = source
    return render_content(
        channel=channel,
        locale="en",
        brand=brand or BrandFactory(footer_text=SECRET),
        data={"data": {"name": "A"}, "items": [1, 2], "tags": {1}},
        **content,
    )


@pytest.mark.parametrize(("channel", "field"), FIELDS)
@pytest.mark.parametrize("source", ESCAPES.values(), ids=ESCAPES.keys())
def test_known_escapes_are_refused(channel, field, source):
    with pytest.raises(RenderError) as caught:
        _render(channel, field, source)
    assert caught.value.field == field


@pytest.mark.parametrize("source", RUNAWAYS.values(), ids=RUNAWAYS.keys())
def test_runaway_templates_fail_cleanly(source):
    with pytest.raises(RenderError, match="over the render budget"):
        _render("email", "body_html", source)


def test_a_template_past_its_time_fails_cleanly(settings):
    settings.CCM_RENDER_MAX_CPU_SECONDS = 0
    with pytest.raises(RenderError, match="more than 0 seconds of CPU"):
        _render("sms", "body_text", "{% for i in range(300) %}{{ i }}{% endfor %}")


def test_the_data_is_unchanged_after_a_refused_mutation():
    data = {"items": [1, 2]}
    with pytest.raises(RenderError):
        render_content(
            channel="sms",
            locale="en",
            brand=BrandFactory(),
            subject="",
            body_html="",
            body_text="{{ items.append(3) }}",
            data=data,
        )
    assert data == {"items": [1, 2]}


def test_nothing_is_written_to_the_database():
    brand = BrandFactory(name="Original")
    CommunicationFactory(brand=brand)
    with pytest.raises(RenderError):
        _render("email", "body_html", "{{ brand.delete() }}", brand=brand)
    brand.refresh_from_db()
    assert brand.name == "Original" and brand.communications.count() == 1


def test_ordinary_templates_still_work_within_the_budget():
    rendered = _render(
        "email",
        "body_html",
        "<p>{{ brand.name }}</p>{% for i in range(3) %}{{ i }}{% endfor %}"
        "{{ '-' * 3 }}{{ 2 ** 10 }}{{ '{0}'.format(data.name) }}"
        "{% for row in items %}{{ loop.index }}{% endfor %}",
    )
    assert "012---1024A12" in rendered.html
