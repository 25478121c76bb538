"""Checks run on a version before it may go to review (and shown to the designer).

Errors block submission: content that does not render with the sample data, a variable
the data schema does not define, an unknown block, an SMS over the communication's segment
limit, a link that is not https, a letter over its page limit. Warnings are shown: a
missing text alternative, a locale missing for a channel, an image without alt text.
"""

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import jinja2
from django.conf import settings
from django.utils.translation import gettext as _
from jinja2 import meta
from pypdf import PdfReader

from ccm.vocabulary import Channel
from rendering.environment import HTML_ENV, TEMPLATE_FUNCTIONS, TEXT_ENV
from rendering.exceptions import RenderError
from rendering.pdf import render_pdf
from rendering.render import render
from rendering.sandbox.budget import with_operation_budget
from templates_store.models import TemplateVariant, TemplateVersion
from templates_store.previews import SAMPLE_RECIPIENT
from templates_store.shared_lint import variant_block_issues
from templates_store.shared_selectors import block_versions_published

ERROR = "error"
WARNING = "warning"
# Names every template may use besides the communication's data.
BUILTIN_NAMES = {"brand", "locale", "theme", "block"}
_INSECURE_LINK = re.compile(r"\bhttp://[^\s\"'<>]+", re.IGNORECASE)


@dataclass(frozen=True)
class LintIssue:
    level: str
    channel: str
    locale: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.channel}/{self.locale}" + (f" {self.field}" if self.field else "")
        where += f", line {self.line}" if self.line else ""
        return f"{where}: {self.message}"


class _HtmlFacts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images_without_alt = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"] or "")
        if (
            tag == "img"
            and not (attributes.get("alt") or "").strip()
            and attributes.get("role") != "presentation"
        ):
            self.images_without_alt += 1


def _own(link: str) -> bool:
    """A link to the platform itself (survey links): as secure as the platform's address."""
    return link.startswith(settings.CCM_BASE_URL.rstrip("/") + "/")


def _insecure(link: str) -> str:
    return _("link is not https: %(link)s") % {"link": link}


def _html_facts(html: str) -> _HtmlFacts:
    facts = _HtmlFacts()
    facts.feed(html)
    return facts


def _alt_text_issues(channel: str, locale: str, facts: _HtmlFacts) -> list[LintIssue]:
    if not facts.images_without_alt:
        return []
    message = _("%(count)s image(s) without alt text") % {"count": facts.images_without_alt}
    return [LintIssue(WARNING, channel, locale, "body_html", message)]


def _schema_names(version: TemplateVersion) -> set[str] | None:
    properties = (version.communication.data_schema or {}).get("properties")
    return set(properties) if isinstance(properties, dict) else None


def _undeclared(variant: TemplateVariant, known: set[str]) -> list[LintIssue]:
    issues = []
    for field_name, source, env in (
        ("subject", variant.subject, TEXT_ENV),
        ("body_html", variant.body_html, HTML_ENV),
        ("body_text", variant.body_text, TEXT_ENV),
    ):
        if not source:
            continue
        try:
            names = meta.find_undeclared_variables(env.parse(source))
        except jinja2.TemplateSyntaxError:
            continue  # reported by the render check with its line
        for name in sorted(names - known - BUILTIN_NAMES - set(TEMPLATE_FUNCTIONS)):
            line = next((i for i, text in enumerate(source.splitlines(), 1) if name in text), None)
            issues.append(
                LintIssue(
                    ERROR,
                    variant.channel,
                    variant.locale,
                    field_name,
                    _("%(name)r is not a field of the data schema") % {"name": name},
                    line,
                )
            )
    return issues


def _variant_issues(
    version: TemplateVersion, variant: TemplateVariant, known: set[str] | None
) -> list[LintIssue]:
    channel, locale = variant.channel, variant.locale
    issues = _undeclared(variant, known) if known is not None else []
    try:
        rendered = render(version, channel, locale, version.sample_data, recipient=SAMPLE_RECIPIENT)
    except RenderError as exc:
        return [*issues, LintIssue(ERROR, channel, locale, exc.field, exc.message, exc.line)]
    communication = version.communication
    if channel == Channel.EMAIL:
        facts = _html_facts(rendered.html)
        for link in facts.links:
            if link.lower().startswith("http://") and not _own(link):
                issues.append(LintIssue(ERROR, channel, locale, "body_html", _insecure(link)))
        issues += _alt_text_issues(channel, locale, facts)
        if not variant.body_text.strip():
            issues.append(
                LintIssue(
                    WARNING,
                    channel,
                    locale,
                    "body_text",
                    _("no text alternative written; it will be generated from the HTML"),
                )
            )
    elif channel == Channel.SMS:
        for link in _INSECURE_LINK.findall(rendered.text):
            if _own(link):
                continue
            issues.append(LintIssue(ERROR, channel, locale, "body_text", _insecure(link)))
        assert rendered.sms is not None
        if rendered.sms.segments > communication.sms_max_segments:
            issues.append(
                LintIssue(
                    ERROR,
                    channel,
                    locale,
                    "body_text",
                    _("%(segments)s segments (%(encoding)s); the limit is %(limit)s")
                    % {
                        "segments": rendered.sms.segments,
                        "encoding": rendered.sms.encoding,
                        "limit": communication.sms_max_segments,
                    },
                )
            )
        issues += [LintIssue(WARNING, channel, locale, "body_text", w) for w in rendered.warnings]
    elif channel == Channel.PRINT:
        try:
            pages = len(PdfReader(io.BytesIO(render_pdf(rendered))).pages)
        except RenderError as exc:
            return [*issues, LintIssue(ERROR, channel, locale, exc.field, exc.message, exc.line)]
        if pages > communication.letter_max_pages:
            issues.append(
                LintIssue(
                    ERROR,
                    channel,
                    locale,
                    "body_html",
                    _("the letter has %(pages)s pages; the limit is %(limit)s")
                    % {"pages": pages, "limit": communication.letter_max_pages},
                )
            )
        issues += _alt_text_issues(channel, locale, _html_facts(rendered.html))
    return issues


def _available_blocks(version: TemplateVersion) -> set[str]:
    """The block keys the version may insert: those pinned once submitted, else the
    brand's published blocks."""
    if version.submitted_at is not None and version.status != TemplateVersion.Status.DRAFT:
        return set(version.block_pins)
    brand = version.communication.brand
    return {v.block.key for v in block_versions_published(brand=brand)}


@with_operation_budget
def version_lint(*, version: TemplateVersion) -> list[LintIssue]:
    """Every issue of the version, errors first. Reads only. Every channel and language
    is rendered within one render budget (``rendering.sandbox.budget.operation_budget``)."""
    variants = list(version.variants.all())
    if not variants:
        return [LintIssue(ERROR, "", "", "", _("the version has no channel content"))]
    known = _schema_names(version)
    issues: list[LintIssue] = []
    blocks = _available_blocks(version)
    for variant in variants:
        block_issues = [
            LintIssue(ERROR, variant.channel, variant.locale, i.field, i.message, i.line)
            for i in variant_block_issues(variant, available=blocks)
        ]
        if block_issues:
            # It cannot render; the block errors say why, with their lines.
            issues += block_issues + (_undeclared(variant, known) if known is not None else [])
        else:
            issues += _variant_issues(version, variant, known)
    locales = [code for code, _ in settings.LANGUAGES]
    for channel in sorted({v.channel for v in variants}):
        have = {v.locale for v in variants if v.channel == channel}
        for locale in locales:
            if locale not in have:
                issues.append(
                    LintIssue(WARNING, channel, locale, "", _("no content in this language"))
                )
    return sorted(issues, key=lambda i: (i.level != ERROR, i.channel, i.locale))
