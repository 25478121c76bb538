"""The PostgreSQL database the benchmarks share (``DATABASE_URL``, ccm_bench in ``make
bench``): created and migrated when missing, kept between runs."""

from typing import Any

from django.conf import settings
from django.core.management import call_command


def ensure_database(benchmark: str) -> None:
    import psycopg

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit(f"{benchmark} needs DATABASE_URL=postgres://...")
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        if not admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone():
            admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0)


def bench_versions() -> list[Any]:
    """One published version of each of three bench communications (transactional)."""
    from django.contrib.auth.models import User

    from templates_store.models import Brand, Communication, TemplateVersion

    user, _ = User.objects.get_or_create(username="bench")
    brand, _ = Brand.objects.get_or_create(
        name="Bench",
        defaults={"email_from": "b@example.com", "sms_sender": "Bench", "return_address": "x"},
    )
    versions = []
    for key in ("payment-reminder", "annual-statement", "appointment-reminder"):
        communication, _ = Communication.objects.get_or_create(
            key=key, defaults={"name": key, "category": "transactional", "brand": brand}
        )
        version, _ = TemplateVersion.objects.get_or_create(
            communication=communication, number=1, defaults={"author": user, "status": "published"}
        )
        versions.append(version)
    return versions
