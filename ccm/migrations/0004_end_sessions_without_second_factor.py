"""End the sessions that logged in with a password only but now need a second factor.

Auditors (and anyone else holding an archive content permission) log in with a TOTP
code from this release on (ccm/two_factor.py); a session they opened before it would
otherwise keep reading the archive until it expires. Sessions that passed the code
(``otp_device_id``) are kept.
"""

from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations
from django.db.models import Q

# ccm.two_factor.TWO_FACTOR_ROLES and ARCHIVE_CONTENT_PERMISSIONS when this was written
# (a migration keeps its own copy: the code may change later).
TWO_FACTOR_ROLES = ("approver", "compliance_officer", "auditor")
ARCHIVE_CODENAMES = ("view_archiveentry", "export_archiveentry")


def end_sessions_without_second_factor(apps, schema_editor):
    Session = apps.get_model("sessions", "Session")
    User = apps.get_model("auth", "User")
    archive_permission = Q(
        user_permissions__content_type__app_label="compliance",
        user_permissions__codename__in=ARCHIVE_CODENAMES,
    )
    needs_code = {
        str(pk)
        for pk in User.objects.filter(
            Q(is_superuser=True) | Q(groups__name__in=TWO_FACTOR_ROLES) | archive_permission
        ).values_list("pk", flat=True)
    }
    if not needs_code:
        return
    store = SessionStore()
    ended = [
        session.pk
        for session in Session.objects.iterator()
        if (data := store.decode(session.session_data)).get("_auth_user_id") in needs_code
        and not data.get("otp_device_id")
    ]
    Session.objects.filter(pk__in=ended).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ccm", "0003_token_scopes"),
        ("sessions", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(end_sessions_without_second_factor, migrations.RunPython.noop),
    ]
