"""``palliro cvi`` (PMC7253559 Table 4 panel; clinical.md §5)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.calculators.test_cvi import TEXT


def run(*args):
    out = StringIO()
    call_command("cvi", *args, stdout=out)
    return out.getvalue()


def test_items_by_experts_file(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(TEXT)
    text = run(str(path), "--rows-are", "items")
    assert "S-CVI/Ave = 0.97, S-CVI/UA = 0.83 (6 experts)" in text
    data = json.loads(run(str(path), "--rows-are", "items", "--json"))
    assert data["tables"]["scale"][2]["value"] == pytest.approx(0.9722, abs=1e-4)


@pytest.mark.parametrize(("content", "message"), [("4,4,5\n4,4,4\n", "rating must be 1, 2, 3 or 4"),
                                                  ("", "no ratings found")])
def test_bad_file_exits_2(tmp_path, content, message):
    path = tmp_path / "r.csv"
    path.write_text(content)
    with pytest.raises(CommandError) as info:
        run(str(path))
    assert info.value.returncode == 2 and message in str(info.value)


def test_missing_file_exits_2(tmp_path):
    with pytest.raises(CommandError) as info:
        run(str(tmp_path / "none.csv"))
    assert info.value.returncode == 2 and "no such file" in str(info.value)
