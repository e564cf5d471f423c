"""The shipped rule file and the rules in force."""

import json
from pathlib import Path

from django.db import connections, router, transaction

from palliro.core.rules import Rule, load_rules, parse_rules
from palliro.followup.rowsql import concrete_names, fields_of, row_instance, select_columns
from palliro.triage.models import AlertRule

SHIPPED_RULES = Path(__file__).parent / "data" / "rules.json"


def shipped_rules() -> tuple[Rule, ...]:
    return load_rules(SHIPPED_RULES)


@transaction.atomic
def sync_shipped_rules() -> int:
    """Create missing shipped rules and refresh unedited ones; a rule an admin changed is left alone."""
    raw = json.loads(SHIPPED_RULES.read_text(encoding="utf-8"))["rules"]
    existing = {r.code: r for r in AlertRule.objects.all()}
    written = 0
    for rule, data in zip(parse_rules(raw), raw, strict=True):
        fields = dict(
            kind=rule.kind, severity=str(rule.severity), reason=rule.reason, advice=rule.advice,
            instruments=list(rule.instruments), parameters=data.get("parameters", {}),
        )
        row = existing.get(rule.code)
        if row is None:
            AlertRule.objects.create(code=rule.code, shipped=True, active=rule.active, **fields)
            written += 1
        elif row.shipped and not row.edited and any(getattr(row, k) != v for k, v in fields.items()):
            AlertRule.objects.filter(pk=row.pk).update(**fields)
            written += 1
    return written


_RULE_FIELDS = concrete_names(AlertRule)


def rules_in_force() -> list[tuple[AlertRule, Rule]]:
    """Active rules as (row, validated rule); a row that no longer validates is skipped, never fatal.

    The rows are read on every call, so an edit applies to the very next response in every process. They
    are read as plain column values (this runs inside every submission; see followup/rowsql.py) and each
    distinct row is turned into a model instance and a parsed rule once per process: the raw values are
    the cache key, so an edited row is parsed afresh and a rolled-back edit is never seen.
    """
    connection = connections[router.db_for_read(AlertRule)]
    qn = connection.ops.quote_name
    active, code = (qn(f.column) for f in fields_of(AlertRule, ("active", "code")))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select_columns(AlertRule, 'r', _RULE_FIELDS)} FROM {qn(AlertRule._meta.db_table)} r "
            f"WHERE r.{active} = %s ORDER BY r.{code}", [True],
        )
        raw_rows = cursor.fetchall()
    out = []
    for raw in raw_rows:
        key = tuple(raw)
        cached = _PARSED.get(key)
        if cached is None:
            row = row_instance(AlertRule, _RULE_FIELDS, raw, connection)
            try:
                cached = (row, row.to_rule())
            except ValueError:
                cached = (row, None)
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()  # edits are rare: dropping everything now and then is enough
            _PARSED[key] = cached
        if cached[1] is not None:
            out.append(cached)
    return out


# Rows and parsed rules are shared by every request thread and only read: a rule is a frozen dataclass, and
# callers use the row for its key and code.
_PARSED: dict[tuple, tuple[AlertRule, Rule | None]] = {}
_PARSED_MAX = 512
