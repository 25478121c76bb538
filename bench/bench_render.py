"""The email render path (sandbox, brand layout, CSS inlining, text part) against bare
Jinja2 rendering the same body and layout with a cached compiled template, and css-inline."""

from collections.abc import Callable

import css_inline
import jinja2
from markupsafe import Markup

from rendering.environment import LAYOUTS_DIR
from rendering.render import render_content
from templates_store.models import Brand
from templates_store.shared_selectors import theme_of

BODY = (
    "<p>Dear {{ first_name }},</p><p>Your bill of {{ amount }} is due on {{ due_date }}.</p>"
    "<ul>{% for line in lines %}<li>{{ line.label }}: {{ line.amount }}</li>{% endfor %}</ul>"
)
TEXT = "Dear {{ first_name }}, your bill of {{ amount }} is due on {{ due_date }}."
DATA = {
    "first_name": "Alex",
    "amount": "120.50",
    "due_date": "2026-12-15",
    "lines": [{"label": f"Item {i}", "amount": i * 3} for i in range(5)],
}
BATCH = 200


def run(compare: Callable[..., str]) -> str:
    brand = Brand(name="Acme", email_from="a@example.com", sms_sender="Acme", return_address="Acme")

    def project() -> int:
        for _ in range(BATCH):
            render_content(
                channel="email",
                locale="en",
                brand=brand,
                subject="Your bill",
                body_html=BODY,
                body_text=TEXT,
                data=DATA,
            )
        return BATCH

    theme = theme_of(version=None, brand=brand)
    inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)
    env = jinja2.Environment(autoescape=True, loader=jinja2.FileSystemLoader(LAYOUTS_DIR))
    env.filters["css"] = Markup
    text_env = jinja2.Environment(autoescape=False)
    body_t, text_t, layout = (
        env.from_string(BODY),
        text_env.from_string(TEXT),
        env.get_template("email.html"),
    )

    def bare() -> int:
        for _ in range(BATCH):
            body = body_t.render(DATA)
            inliner.inline(
                layout.render(
                    subject="Your bill", body=Markup(body), brand=brand, theme=theme, locale="en"
                )
            )
            text_t.render(DATA)
        return BATCH

    return compare("email render", project, bare)
