"""The side-by-side preview of the demo's two-page annual statement (email, SMS, letter PDF)
through the platform's rendering path, against bare Jinja2 + WeasyPrint doing the same.

The studio's preview must answer in under a second; the line also prints the project's
milliseconds per full preview."""

import datetime as dt
import time
from collections.abc import Callable

import jinja2
import weasyprint
from markupsafe import Markup

from demo.content import BRAND, STATEMENT_VARIANTS, sample_data
from rendering.environment import LAYOUTS_DIR
from rendering.letter_formats import envelope_format
from rendering.pdf import render_pdf
from rendering.render import render_content
from rendering.types import Recipient
from templates_store.models import Brand
from templates_store.shared_selectors import theme_of

RECIPIENT = Recipient(name="Emma Clarke", address_lines=("12 Station Road", "Leeds", "LS1 4AB"))


def run(compare: Callable[..., str]) -> str:
    brand = Brand(**BRAND)
    data = sample_data("annual-statement", today=dt.date(2026, 11, 23))
    email = STATEMENT_VARIANTS[("email", "en")]
    letter = STATEMENT_VARIANTS[("print", "en")]
    sms = STATEMENT_VARIANTS.get(
        ("sms", "en"), {"body_text": "Your statement for {{ year }} is ready."}
    )

    def project() -> int:
        render_content(
            channel="email",
            locale="en",
            brand=brand,
            subject=email.get("subject", ""),
            body_html=email.get("body_html", ""),
            body_text=email.get("body_text", ""),
            data=data,
        )
        render_content(
            channel="sms",
            locale="en",
            brand=brand,
            subject="",
            body_html="",
            body_text=sms["body_text"],
            data=data,
        )
        rendered = render_content(
            channel="print",
            locale="en",
            brand=brand,
            subject=letter.get("subject", ""),
            body_html=letter["body_html"],
            body_text="",
            data=data,
            recipient=RECIPIENT,
        )
        render_pdf(rendered)
        return 1

    env = jinja2.Environment(autoescape=True, loader=jinja2.FileSystemLoader(LAYOUTS_DIR))
    env.filters.update(
        css=Markup, date=lambda v, f="long": str(v), money=lambda v, c: f"{c} {v}", number=str
    )
    text_env = jinja2.Environment(autoescape=False)
    text_env.filters.update(env.filters)
    email_body, letter_body = (
        env.from_string(email.get("body_html", "")),
        env.from_string(letter["body_html"]),
    )
    sms_body = text_env.from_string(sms["body_text"])
    email_layout, letter_layout = env.get_template("email.html"), env.get_template("letter.html")

    # The brand's own colours and fonts, as the project applies them without a theme.
    theme = theme_of(version=None, brand=brand)
    fmt = envelope_format("")
    context = {**data, "brand": brand, "theme": theme, "locale": "en"}

    def bare() -> int:
        email_layout.render(
            subject="s",
            body=Markup(email_body.render(context)),
            brand=brand,
            theme=theme,
            locale="en",
        )
        sms_body.render(context)
        html = letter_layout.render(
            body=Markup(letter_body.render(context)),
            brand=brand,
            theme=theme,
            locale="en",
            recipient=RECIPIENT,
            fmt=fmt,
            window=fmt.relative(fmt.window),
            address_size=10,
            page_label='"Page " counter(page) " of " counter(pages)',
            letter_date="23 November 2026",
        )
        weasyprint.HTML(string=html).write_pdf()
        return 1

    line = compare("preview of a 2-page letter (3 channels)", project, bare, rounds=3)
    start = time.perf_counter()
    project()
    return f"{line}; one preview {1000 * (time.perf_counter() - start):.0f} ms"
