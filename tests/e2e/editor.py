"""Driving the studio's code editors (CodeMirror) from browser tests: the textareas are
hidden behind them, so type into the editor, or set its whole text through its API."""

from playwright.sync_api import Locator, Page


def code_editor(page: Page, name: str) -> Locator:
    """The code editor of the form field ``name`` (``email-body_html``, ``sample_data``)."""
    return page.locator(f".CodeMirror[data-editor-for='{name}']")


def type_at_end(page: Page, name: str, text: str) -> None:
    """Click into the editor of ``name`` and type ``text`` after its content, key by key
    (as a person would: the live preview follows)."""
    code_editor(page, name).locator(".CodeMirror-lines").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def replace_text(page: Page, name: str, text: str) -> None:
    """Replace the whole text of the editor of ``name`` (one change: one preview)."""
    code_editor(page, name).evaluate("(node, text) => node.CodeMirror.setValue(text)", text)
