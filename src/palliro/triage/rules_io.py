"""The shipped rule file and the rules in force."""

import json
from pathlib import Path

from django.db import transaction

from palliro.core.rules import Rule, load_rules, parse_rules
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


def rules_in_force() -> list[tuple[AlertRule, Rule]]:
    """Active rules as (row, validated rule); a row that no longer validates is skipped, never fatal.

    The rows are read on every call, so an edit applies to the very next response in every process; only
    the parsing is cached, keyed by the row and its full content, so an edited row is parsed afresh.
    """
    out = []
    for row in AlertRule.objects.filter(active=True):
        data = row.as_data()
        key = (row.pk, json.dumps(data, sort_keys=True, default=str))
        rule = _PARSED.get(key)
        if rule is None:
            try:
                rule = row.to_rule()
            except ValueError:
                continue
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()  # edits are rare: dropping everything now and then is enough
            _PARSED[key] = rule
        out.append((row, rule))
    return out


# Parsed rules are immutable (frozen dataclasses), so one instance can be shared by every request thread.
_PARSED: dict[tuple[int, str], Rule] = {}
_PARSED_MAX = 512
