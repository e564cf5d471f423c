"""Plain-SQL reads and writes of whole rows, for the few statements on the submission hot path.

Why not the ORM there: compiling a query costs far more Python time than running it. Measured on
PostgreSQL 15 (2026-11-21, in-process, CPU per call): ``Invitation.objects.select_related(...).first()``
2.0 ms, ``Model.save()`` of a response ≈ 1.5 ms, the same statements through the cursor 0.1–0.2 ms. A
patient's "send" runs about eight statements, so the ORM alone kept submission throughput far below the
design target (bench/README.md, "Submission throughput").

Nothing here guesses at types: table names, columns, defaults, ``auto_now`` and every value conversion come
from the models' own fields (``get_db_prep_save``), so the rows are the ones ``save()`` would write, on
SQLite and on PostgreSQL. These helpers send no model signals (``bulk_create`` and ``update()`` do not
either); use them only where no receiver depends on ``post_save``.
"""

from django.db import connections, models, router


def _connection(model):
    return connections[router.db_for_write(model)]


def fields_of(model, names):
    return [model._meta.get_field(name) for name in names]


def concrete_names(model, skip=()) -> tuple[str, ...]:
    """The names of the model's concrete fields, in the model's order (what a row holds)."""
    return tuple(f.name for f in model._meta.concrete_fields if f.name not in skip)


def prep(fields, values, connection) -> list:
    """Each value as the database takes it for its field (what ``save()`` sends)."""
    out = []
    for field, value in zip(fields, values, strict=True):
        if field.is_relation and isinstance(value, models.Model):
            value = value.pk  # a related object is stored as its key, as save() stores field.attname
        out.append(field.get_db_prep_save(value, connection))
    return out


def full_row(model, values: dict, now) -> tuple[list, list]:
    """Every column but the primary key, with its value: from ``values`` (by field name or attname), else
    what ``save()`` would give it: ``now`` for ``auto_now``/``auto_now_add`` date-times, otherwise the field's
    default (None for a nullable field without one)."""
    pk = model._meta.pk
    fields, row = [], []
    for field in model._meta.concrete_fields:
        if field is pk:
            continue
        if field.name in values:
            value = values[field.name]
        elif field.attname in values:
            value = values[field.attname]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        fields.append(field)
        row.append(value)
    return fields, row


def insert_row(model, values: dict, now) -> int:
    """Insert one row of ``model`` (missing fields as :func:`full_row` fills them); returns its primary key."""
    connection = _connection(model)
    pk = model._meta.pk
    fields, row = full_row(model, values, now)
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(f"{sql} RETURNING {qn(pk.column)}", prep(fields, row, connection))
            return cursor.fetchone()[0]
        cursor.execute(sql, prep(fields, row, connection))
        return connection.ops.last_insert_id(cursor, model._meta.db_table, pk.column)


def insert_rows(model, fixed: dict, names: tuple[str, ...], rows) -> None:
    """Insert one row of ``model`` per item of ``rows`` (values in the order of ``names``), every row with
    the same ``fixed`` values, in one statement with a fixed, small number of parameters.

    On PostgreSQL the varying columns travel as one array each (``unnest``); elsewhere as a batched
    ``executemany``. Not a long ``VALUES`` list: psycopg re-parses a statement of 50 or more parameters on
    every call, and on PostgreSQL 24 single-row statements cost the server ten times one insert of 24 rows.
    """
    if not rows:
        return
    connection = _connection(model)
    fixed_fields, fields = fields_of(model, fixed), fields_of(model, names)
    constant = prep(fixed_fields, fixed.values(), connection)
    varying = [prep(fields, row, connection) for row in rows]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fixed_fields + fields)
    head = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
            cursor.execute(
                f"{head}SELECT {', '.join(['%s'] * len(fixed_fields))}, u.* FROM unnest({arrays}) AS u",
                constant + [list(column) for column in zip(*varying, strict=True)],
            )
        else:
            sql = f"{head}VALUES ({', '.join(['%s'] * (len(fixed_fields) + len(fields)))})"
            cursor.executemany(sql, [constant + row for row in varying])


def update_rows(model, values: dict, where: dict, *, returning: tuple[str, ...] = ()):
    """``UPDATE model SET values WHERE`` every ``where`` field equals its value.

    Returns the number of rows changed, or with ``returning`` (field names) the changed rows as instances
    holding those fields (the others deferred).
    """
    connection = _connection(model)
    set_fields, where_fields = fields_of(model, values), fields_of(model, where)
    qn = connection.ops.quote_name
    condition = " AND ".join(f"{qn(f.column)} = %s" for f in where_fields)
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in set_fields)
    sql = f"UPDATE {qn(model._meta.db_table)} SET {assignments} WHERE {condition}"
    where_params = prep(where_fields, where.values(), connection)
    params = prep(set_fields, values.values(), connection) + where_params
    columns = ", ".join(qn(f.column) for f in fields_of(model, returning))
    with connection.cursor() as cursor:
        if not returning:
            cursor.execute(sql, params)
            return cursor.rowcount
        if connection.features.can_return_columns_from_insert:  # RETURNING, also on UPDATE (SQLite >= 3.35)
            cursor.execute(f"{sql} RETURNING {columns}", params)
            rows = cursor.fetchall()
        else:
            # Older SQLite: read, then update, inside the caller's transaction, which on SQLite holds the write
            # lock from BEGIN IMMEDIATE, so no other writer can change the rows in between.
            cursor.execute(f"SELECT {columns} FROM {qn(model._meta.db_table)} WHERE {condition}", where_params)
            rows = cursor.fetchall()
            cursor.execute(sql, params)
    found = [row_instance(model, returning, row, connection) for row in rows]
    for instance in found:  # returned fields that the update sets have their new values, as with RETURNING
        for name in set(returning) & set(values):
            setattr(instance, name, values[name])
    return found


def select_columns(model, alias: str, names: tuple[str, ...]) -> str:
    """``alias.column, ...`` for ``names`` of ``model``, to read rows back with :func:`row_instance`."""
    qn = _connection(model).ops.quote_name
    return ", ".join(f"{alias}.{qn(f.column)}" for f in fields_of(model, names))


def _readers(model, names: tuple[str, ...], connection) -> tuple[list[str], list[tuple]]:
    """Each column's converters, in the compiler's order (the backend's, then the field's own).

    Kept on the connection object itself: converters may be bound to it, and Django gives each thread its
    own connection.
    """
    cache = connection.__dict__.setdefault("_palliro_row_readers", {})
    key = (model, names)
    found = cache.get(key)
    if found is None:
        fields = fields_of(model, names)
        readers = []
        for field in fields:
            col = field.cached_col  # converters take an expression; the compiler hands them this same Col
            readers.append((col, tuple(connection.ops.get_db_converters(col) + col.get_db_converters(connection))))
        found = cache[key] = ([f.attname for f in fields], readers)
    return found


def row_instance(model, names: tuple[str, ...], values, connection):
    """A model instance from raw column values, converted as the ORM converts them when it reads a row.

    Fields left out of ``names`` are deferred (loaded on first access), exactly as with ``.only()``.
    """
    attnames, readers = _readers(model, names, connection)
    converted = {}
    for attname, (col, converters), value in zip(attnames, readers, values, strict=True):
        for converter in converters:
            value = converter(value, col, connection)
        converted[attname] = value
    if len(converted) == len(model._meta.concrete_fields):
        return model.from_db(connection.alias, None, [converted[f.attname] for f in model._meta.concrete_fields])
    # from_db takes the values of the named fields in the model's field order, not in the order named.
    ordered = [f.attname for f in model._meta.concrete_fields if f.attname in converted]
    return model.from_db(connection.alias, ordered, [converted[name] for name in ordered])
