"""Inserting many model instances with one COPY (PostgreSQL).

``bulk_create`` builds one INSERT with a placeholder for every value of every row; for the
thousands of rows of a batch upload or an archive chunk, building and binding that
statement costs more than the database's work. COPY streams the rows instead.
"""

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


def instances_copy(instances: Sequence[Model]) -> None:
    """Insert ``instances`` (all of one model) with one COPY, every concrete field as
    ``bulk_create`` would write it (``auto_now`` times set, values prepared by their
    fields). Their primary keys are taken from the table's sequence first, so the
    instances come back saved, with their keys (keys already set on every instance, taken
    from the sequence by the caller, are kept).

    Raises django.db.IntegrityError (and Django's other database errors) as an INSERT
    would. PostgreSQL only.
    """
    if not instances:
        return
    meta = type(instances[0])._meta
    fields = list(meta.concrete_fields)
    connection = connections[DEFAULT_DB_ALIAS]  # the connection itself, not its proxy
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if any(instance.pk is None for instance in instances):  # else keys given by the caller
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(instances)],
            )
            keys = sorted(row[0] for row in cursor.fetchall())
            for instance, key in zip(instances, keys, strict=True):
                instance.pk = key
        columns = ", ".join(quote(f.attname if f.column is None else f.column) for f in fields)
        statement = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        with (
            connection.wrap_database_errors,  # psycopg's errors as Django's (IntegrityError)
            cursor.cursor.copy(statement) as copy,
        ):
            for instance in instances:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
                )
    for instance in instances:
        instance._state.adding = False
        instance._state.db = connection.alias
