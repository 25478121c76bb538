"""Roles are Django groups; the permissions each role holds are defined here, in code.

``roles_sync`` makes the database match this table (it runs after every migrate).
"""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

DESIGNER = "designer"
APPROVER = "approver"
OPERATOR = "operator"
COMPLIANCE_OFFICER = "compliance_officer"
AUDITOR = "auditor"

# API clients. A client is a user: the one whose API tokens made a batch, a real-time
# message or a webhook endpoint (a back-office system gets a user of its own; every token
# of that user is the same client), or the person who uploaded a batch in the UI. A client
# sees and changes only its own batches, messages, webhook endpoints and deliveries; the
# others answer 404. These two permissions span clients, and only the roles below (and
# superusers, who hold every permission) have them. Webhook endpoints and deliveries stay
# the caller's own for every role. ``channels.selectors`` is the one place that applies them.
VIEW_EVERY_CLIENT = "channels.view_every_client"
CANCEL_EVERY_CLIENT = "channels.cancel_every_client"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    DESIGNER: [
        "templates_store.view_communication",
        "templates_store.add_communication",
        "templates_store.change_communication",
        "templates_store.view_templateversion",
        "templates_store.add_templateversion",
        "templates_store.change_templateversion",
        "templates_store.submit_templateversion",
        "templates_store.view_brand",
        "insight.view_insight",
        "insight.manage_insight",
    ],
    APPROVER: [
        "templates_store.view_communication",
        "templates_store.view_templateversion",
        "templates_store.review_templateversion",
        "templates_store.publish_templateversion",
        "templates_store.view_brand",
        "insight.view_insight",
    ],
    OPERATOR: [
        "templates_store.view_communication",
        "channels.view_batch",
        "channels.add_batch",
        "channels.cancel_batch",
        "channels.view_message",
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "insight.view_insight",
    ],
    COMPLIANCE_OFFICER: [
        "templates_store.view_communication",
        "templates_store.view_templateversion",
        "compliance.view_archiveentry",
        "compliance.export_archiveentry",
        "compliance.manage_legalhold",
        "compliance.view_legalhold",
        "channels.view_batch",
        "channels.view_message",
        VIEW_EVERY_CLIENT,
        "customers.view_customer",
    ],
    AUDITOR: [
        "templates_store.view_communication",
        "templates_store.view_templateversion",
        "compliance.view_archiveentry",
        "compliance.view_accesslog",
        "compliance.view_legalhold",
        "channels.view_batch",
        "channels.view_message",
        VIEW_EVERY_CLIENT,
        "customers.view_customer",
    ],
}

# The roles that read every client's batches and messages (for the docs and tests).
CROSS_CLIENT_ROLES = frozenset(
    role for role, perms in ROLE_PERMISSIONS.items() if VIEW_EVERY_CLIENT in perms
)

ROLE_LABELS = {
    DESIGNER: "Designer",
    APPROVER: "Approver",
    OPERATOR: "Operator",
    COMPLIANCE_OFFICER: "Compliance officer",
    AUDITOR: "Auditor",
}


def roles_sync() -> None:
    """Create every role group and give it exactly the permissions listed above."""
    for role, perm_names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        query = Q(pk__in=[])
        for name in perm_names:
            app_label, codename = name.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        perms = list(Permission.objects.filter(query))
        missing = set(perm_names) - {f"{p.content_type.app_label}.{p.codename}" for p in perms}
        if missing:
            # Only possible before every app has migrated; the next migrate completes it.
            continue
        group.permissions.set(perms)


def roles_sync_after_migrate(**kwargs: Any) -> None:
    roles_sync()
