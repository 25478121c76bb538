"""The languages the studio edits, and the one a page is showing."""

from django.conf import settings
from django.http import HttpRequest

LOCALES = [code for code, _name in settings.LANGUAGES]


def request_locale(request: HttpRequest) -> str:
    """The ``locale`` the request asks for (query or form), else the first language."""
    locale = request.GET.get("locale") or request.POST.get("locale") or ""
    return locale if locale in LOCALES else LOCALES[0]
