from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ccm.mailbox import mailbox_enabled

# (label, url name, permission needed to see it). A page's view checks the same permission.
NAVIGATION = [
    (
        _("Communications"),
        "templates_store:communication_list",
        "templates_store.view_communication",
    ),
    (_("Reviews"), "templates_store:review_list", "templates_store.review_templateversion"),
    (_("Shared content"), "templates_store:shared_list", "templates_store.view_communication"),
    (_("Batches"), "channels:batch_list", "channels.view_batch"),
    (_("Customers"), "customers:customer_list", "customers.view_customer"),
    (_("Insight"), "insight:dashboard", "insight.view_insight"),
    (_("Archive"), "compliance:entry_list", "compliance.view_archiveentry"),
    (_("Access log"), "compliance:access_log", "compliance.view_accesslog"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        {"label": label, "url": reverse(url_name)}
        for label, url_name, perm in NAVIGATION
        if user.has_perm(perm)
    ]
    if mailbox_enabled():
        items.append({"label": _("Mailbox"), "url": reverse("mailbox:list")})
    # The section whose URL is the longest prefix of this page is the current one
    # (/archive/access-log/ is the access log, not the archive).
    matching = [str(item["url"]) for item in items if request.path.startswith(str(item["url"]))]
    current = max(matching, key=len, default=None)
    for item in items:
        item["active"] = item["url"] == current
    roles = [g.name for g in user.groups.all()]
    return {"nav_items": items, "user_roles": roles}
