"""The change journal: database triggers record which rows of the analysed tables changed.

The analysis store (:mod:`palliro.research.store`) keeps columnar copies of these tables and, before every
report, applies what the journal says changed since its last look, so a report never reads stale rows.
Triggers rather than Django signals: bulk inserts, ``QuerySet.update()``, cascaded deletes and raw SQL (the
submission path) all go past signals, never past a trigger.

Each journal row says "rows ``lo``..``hi`` of ``table`` were inserted, updated or deleted"; the store reads the
current state of those rows (absent = deleted), so reading an entry twice does no harm.

* SQLite: row-level triggers for every insert, update and delete, except observation inserts: SQLite lets one
  writer at a time commit and Django's SQLite ids never go back (AUTOINCREMENT), so observations with an id
  above the store's highest are exactly the new ones.
* PostgreSQL: one statement-level trigger per insert statement (the inserted id range, from the transition
  table: one journal row for a submission's observations) and row-level triggers for updates and deletes.
  A TRUNCATE (which fires no row trigger) journals "truncate": the store reloads for each one it has not seen. Transactions commit
  in any order, so each entry carries its transaction id and a reader applies every
  visible entry of a transaction not older than the oldest one still running at its previous look
  (:func:`entries_since`), the usual outbox rule, skipping entries it has already applied.

Entries are removed only by :func:`prune`, older than :data:`RETENTION`; a store idle for half that reloads
(PostgreSQL cannot tell a pruned entry from an id its sequence skipped; SQLite can, and reloads at a gap).

The triggers are (re)installed after every ``migrate`` (:func:`install`): SQLite drops a table's triggers when
Django rebuilds the table to alter it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection as default_connection
from django.utils import timezone

#: Journal name → table whose rows the store copies.
TRACKED: dict[str, str] = {
    "patient": "clinic_patient",
    "course": "clinic_rtcourse",
    "episode": "clinic_episode",
    "analgesic": "clinic_analgesicrecord",
    "enrolment": "followup_enrolment",
    "invitation": "followup_invitation",
    "observation": "followup_observation",
}
#: Journal entries older than this are deleted by the worker; a store that has not looked for longer
#: reloads everything (:attr:`palliro.research.store.AnalysisStore.max_idle`).
RETENTION = timedelta(days=2)
JOURNAL = "research_change"


def _sqlite_ops(name: str) -> tuple[str, ...]:
    """The statements journalled on SQLite (observation inserts are found by id, see the module docstring)."""
    return ("UPDATE", "DELETE") if name == "observation" else ("INSERT", "UPDATE", "DELETE")


#: The PostgreSQL triggers of each table, by the suffix of their names.
_PG_KINDS = ("insert", "change", "truncate")


def _trigger_sql_sqlite(name: str, table: str) -> list[str]:
    out = []
    for op in _sqlite_ops(name):
        row = "OLD" if op == "DELETE" else "NEW"
        out.append(
            f"CREATE TRIGGER IF NOT EXISTS palliro_journal_{name}_{op.lower()} AFTER {op} ON {table} "
            f"BEGIN INSERT INTO {JOURNAL} (\"table\", lo, hi, at) VALUES ('{name}', {row}.id, {row}.id, "
            "strftime('%Y-%m-%d %H:%M:%f', 'now')); END"
        )
    return out


_PG_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION palliro_journal_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO {JOURNAL} ("table", lo, hi, xid, at)
      VALUES (TG_ARGV[0], OLD.id, OLD.id, pg_current_xact_id()::text::bigint, now());
  ELSE
    INSERT INTO {JOURNAL} ("table", lo, hi, xid, at)
      VALUES (TG_ARGV[0], NEW.id, NEW.id, pg_current_xact_id()::text::bigint, now());
  END IF;
  RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE FUNCTION palliro_journal_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {JOURNAL} ("table", lo, hi, xid, at) VALUES ('truncate', 0, 0, pg_current_xact_id()::text::bigint, now());
  RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE FUNCTION palliro_journal_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {JOURNAL} ("table", lo, hi, xid, at)
    SELECT TG_ARGV[0], min(id), max(id), pg_current_xact_id()::text::bigint, now() FROM inserted_rows
    HAVING count(*) > 0;
  RETURN NULL;
END $$""",
]


def _trigger_sql_postgresql(name: str, table: str) -> list[str]:
    return [
        f"CREATE OR REPLACE TRIGGER palliro_journal_{name}_insert AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION palliro_journal_inserted('{name}')",
        f"CREATE OR REPLACE TRIGGER palliro_journal_{name}_change AFTER UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION palliro_journal_row('{name}')",
        f"CREATE OR REPLACE TRIGGER palliro_journal_{name}_truncate AFTER TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION palliro_journal_truncated()",
    ]


def trigger_statements(vendor: str) -> list[str]:
    """The SQL that installs (or replaces) every journal trigger on this database vendor."""
    if vendor == "sqlite":
        return [sql for name, table in TRACKED.items() for sql in _trigger_sql_sqlite(name, table)]
    if vendor == "postgresql":
        return _PG_FUNCTIONS + [sql for name, table in TRACKED.items() for sql in _trigger_sql_postgresql(name, table)]
    return []


def expected_triggers(vendor: str) -> set[str]:
    if vendor == "sqlite":
        return {f"palliro_journal_{name}_{op.lower()}" for name in TRACKED for op in _sqlite_ops(name)}
    if vendor == "postgresql":
        return {f"palliro_journal_{name}_{kind}" for name in TRACKED for kind in _PG_KINDS}
    return set()


def installed(connection=default_connection) -> bool:
    """Whether every journal trigger exists (the store falls back to plain queries otherwise)."""
    vendor = connection.vendor
    expected = expected_triggers(vendor)
    if not expected:
        return False
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'palliro_journal_%'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'palliro_journal_%'")
        return expected <= {r[0] for r in cursor.fetchall()}


def install(connection=default_connection) -> None:
    with connection.cursor() as cursor:
        for sql in trigger_statements(connection.vendor):
            cursor.execute(sql)


def install_after_migrate(sender, using="default", **kwargs) -> None:
    from django.db import connections

    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if JOURNAL in tables and set(TRACKED.values()) <= tables:
        install(connection)


@dataclass(frozen=True)
class Mark:
    """How far a store has read the journal: the highest entry id seen and, on PostgreSQL, the oldest
    transaction still running when it looked (entries of that transaction or newer are read again)."""

    last_id: int
    xmin: int | None


def current_mark(cursor, vendor: str) -> Mark:
    """Where the journal stands now; called before the tables are read for a full load."""
    xmin = None
    if vendor == "postgresql":
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        xmin = cursor.fetchone()[0]
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {JOURNAL}")
    return Mark(cursor.fetchone()[0], xmin)


def entries_since(cursor, vendor: str, mark: Mark) -> tuple[list[tuple[int, str, int, int]], Mark] | None:
    """The visible journal entries (id, table, lo, hi) that may be new since ``mark``, and the new mark; None
    when the journal no longer reaches back to ``mark`` (emptied or pruned past it: the store must reload).

    On PostgreSQL these are all entries of transactions not older than ``mark.xmin``: some were seen at the
    previous look, and the caller skips those by id.
    """
    new = current_mark(cursor, vendor)
    if new.last_id < mark.last_id:
        return None
    if vendor == "postgresql":
        cursor.execute(f'SELECT id, "table", lo, hi FROM {JOURNAL} WHERE xid >= %s', [mark.xmin])
        return cursor.fetchall(), new
    # SQLite's ids have no gaps (rolled-back inserts give theirs back): a gap after the mark was pruned.
    cursor.execute(f'SELECT id, "table", lo, hi FROM {JOURNAL} WHERE id > %s AND id <= %s ORDER BY id',
                   [mark.last_id, new.last_id])
    entries = cursor.fetchall()
    if entries and entries[0][0] != mark.last_id + 1:
        return None
    return entries, new


def prune(now=None) -> int:
    """Delete journal entries older than :data:`RETENTION`, always keeping the newest (it anchors marks)."""
    from palliro.research.models import Change

    now = now or timezone.now()
    newest = Change.objects.order_by("-id").values_list("id", flat=True).first()
    if newest is None:
        return 0
    deleted, _ = Change.objects.filter(at__lt=now - RETENTION, id__lt=newest).delete()
    return deleted
