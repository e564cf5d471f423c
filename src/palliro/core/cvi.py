"""Content validity index (CVI) for expert-panel relevance ratings.

I-CVI, S-CVI/Ave, S-CVI/UA and the modified kappa of Polit & Beck from an experts x items matrix
of 4-point relevance ratings (1 not relevant, 2 somewhat, 3 quite, 4 highly relevant; 3-4 count
as relevant).

Sources (reference ``clinical.md`` §5): Polit DF, Beck CT, *Res Nurs Health* 2006;29:489-497;
Polit DF, Beck CT, Owen SV, *Res Nurs Health* 2007;30:459-467; Lynn MR, *Nurs Res* 1986;35:382.

Unverified/secondary parts:

- The S-CVI/Ave benchmark of 0.90 is from a secondary source [S].
- Lynn's rule is stated in the reference only for <= 5 experts (I-CVI must be 1.00); for more
  experts ``icvi_rule="lynn1986"`` falls back to 0.78, which is marked unverified in the result.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from palliro.core.errors import PalliroValueError, require_choice

__all__ = [
    "CVIResult",
    "ItemCVI",
    "RatingMatrix",
    "content_validity",
    "kappa_label",
    "modified_kappa",
    "parse_rating_matrix",
]

CITATION = (
    "Polit DF, Beck CT. Res Nurs Health 2006;29:489-497; Polit DF, Beck CT, Owen SV. "
    "Res Nurs Health 2007;30:459-467; Lynn MR. Nurs Res 1986;35:382"
)
ICVI_CUTOFF = 0.78  # Polit 2007, for 3 or more experts
SCVI_AVE_CUTOFF = 0.90  # secondary source [S]


def modified_kappa(n_experts: int, n_relevant: int) -> tuple[float, float]:
    """Chance agreement ``pc = C(N, A) * 0.5**N`` and modified kappa ``k* = (I-CVI - pc)/(1 - pc)``.

    Source: Polit, Beck & Owen 2007.  Returns ``(pc, kappa)``.
    """
    if isinstance(n_experts, bool) or not isinstance(n_experts, int) or n_experts < 1:
        raise PalliroValueError(f"must be a whole number >= 1, got {n_experts!r}", field="n_experts")
    if isinstance(n_relevant, bool) or not isinstance(n_relevant, int) or not 0 <= n_relevant <= n_experts:
        raise PalliroValueError(
            f"must be a whole number from 0 to {n_experts}, got {n_relevant!r}", field="n_relevant"
        )
    pc = math.comb(n_experts, n_relevant) * 0.5**n_experts
    icvi = n_relevant / n_experts
    return pc, (icvi - pc) / (1.0 - pc)


def kappa_label(kappa: float) -> Literal["excellent", "good", "fair", "poor"]:
    """Polit 2007 interpretation: > 0.74 excellent, 0.60-0.74 good, 0.40-0.59 fair, < 0.40 poor."""
    if kappa > 0.74:
        return "excellent"
    if kappa >= 0.60:
        return "good"
    if kappa >= 0.40:
        return "fair"
    return "poor"


@dataclass(frozen=True)
class RatingMatrix:
    """Relevance ratings, ``ratings[e][i]`` = rating of item ``i`` by expert ``e`` (1-4)."""

    ratings: tuple[tuple[int, ...], ...]
    item_names: tuple[str, ...]
    expert_names: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.ratings or not self.ratings[0]:
            raise PalliroValueError("the matrix is empty", field="ratings")
        n_items = len(self.ratings[0])
        for e, row in enumerate(self.ratings):
            if len(row) != n_items:
                raise PalliroValueError(
                    f"expert {e + 1} has {len(row)} ratings, expected {n_items}", field="ratings"
                )
            for i, value in enumerate(row):
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
                    raise PalliroValueError(
                        f"expert {e + 1}, item {i + 1}: rating must be 1, 2, 3 or 4, got {value!r}",
                        field="ratings",
                    )
        if len(self.item_names) != n_items:
            raise PalliroValueError(f"need {n_items} item names", field="item_names")
        if len(self.expert_names) != len(self.ratings):
            raise PalliroValueError(f"need {len(self.ratings)} expert names", field="expert_names")

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[Sequence[int]],
        *,
        rows_are: Literal["experts", "items"] = "experts",
        item_names: Sequence[str] | None = None,
        expert_names: Sequence[str] | None = None,
    ) -> RatingMatrix:
        """Build from nested lists; ``rows_are="items"`` transposes an items x experts table."""
        orientation = require_choice(rows_are, "rows_are", ("experts", "items"))
        table = [tuple(row) for row in rows]
        if not table:
            raise PalliroValueError("the matrix is empty", field="ratings")
        widths = {len(row) for row in table}
        if len(widths) != 1:
            raise PalliroValueError("rows have different lengths", field="ratings")
        if orientation == "items":
            table = [tuple(col) for col in zip(*table, strict=True)]
        n_experts, n_items = len(table), len(table[0])
        items = (
            tuple(item_names) if item_names is not None else tuple(f"item {i + 1}" for i in range(n_items))
        )
        experts = (
            tuple(expert_names)
            if expert_names is not None
            else tuple(f"expert {e + 1}" for e in range(n_experts))
        )
        return cls(tuple(table), items, experts)


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return next(csv.reader([line], delimiter=delimiter))


def parse_rating_matrix(text: str, *, rows_are: Literal["experts", "items"] = "experts") -> RatingMatrix:
    """Read a rating matrix from CSV or pasted text (comma, semicolon, tab or spaces).

    An optional header row holds item names (``rows_are="experts"``, the default) or expert names
    (``rows_are="items"``); an optional first column holds the row names.  Errors name the line
    and column (1-based, as in the text) of any non-numeric or out-of-range rating.
    """
    orientation = require_choice(rows_are, "rows_are", ("experts", "items"))
    if not isinstance(text, str) or not text.strip():
        raise PalliroValueError("no ratings found", field="text")
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    sample = lines[0][1]
    delimiter = next((d for d in ("\t", ";", ",") if d in sample), None)
    cells = [(n, [c.strip() for c in _split(line, delimiter)]) for n, line in lines]

    def numeric(value: str) -> bool:
        try:
            float(value)
        except ValueError:
            return False
        return True

    header: list[str] | None = None
    if any(c and not numeric(c) for c in cells[0][1]):
        header = cells[0][1]
        cells = cells[1:]
    if not cells:
        raise PalliroValueError("no rating rows after the header", field="text")
    # A first column is a label column when any data row starts with a non-number (or the header's
    # first cell is blank while the header is one longer than the ratings).
    label_col = any(row and row[0] and not numeric(row[0]) for _, row in cells) or (
        header is not None and header[0] == "" and len(header) == len(cells[0][1])
    )
    start = 1 if label_col else 0
    row_names: list[str] = []
    table: list[tuple[int, ...]] = []
    width: int | None = None
    for line_no, row in cells:
        values = row[start:]
        if width is None:
            width = len(values)
        elif len(values) != width:
            raise PalliroValueError(f"line {line_no}: {len(values)} ratings, expected {width}", field="text")
        parsed = []
        for col, value in enumerate(values, start=start + 1):
            if value == "":
                raise PalliroValueError(f"line {line_no}, column {col}: missing rating", field="text")
            try:
                number = float(value.replace(",", ".")) if delimiter != "," else float(value)
            except ValueError:
                raise PalliroValueError(
                    f"line {line_no}, column {col}: {value!r} is not a number", field="text"
                ) from None
            if number not in (1.0, 2.0, 3.0, 4.0):
                raise PalliroValueError(
                    f"line {line_no}, column {col}: rating must be 1, 2, 3 or 4, got {value!r}", field="text"
                )
            parsed.append(int(number))
        table.append(tuple(parsed))
        row_names.append(row[0] if label_col else "")
    assert width is not None
    col_names: list[str] | None = None
    if header is not None:
        col_names = header[1:] if label_col and len(header) == width + 1 else header
        if len(col_names) != width:
            raise PalliroValueError(
                f"line {lines[0][0]}: header has {len(col_names)} names for {width} rating columns",
                field="text",
            )
    names_rows = row_names if label_col else None
    if orientation == "experts":
        return RatingMatrix.from_rows(
            table, rows_are="experts", item_names=col_names, expert_names=names_rows
        )
    return RatingMatrix.from_rows(table, rows_are="items", item_names=names_rows, expert_names=col_names)


@dataclass(frozen=True)
class ItemCVI:
    """Per-item content validity: I-CVI, chance agreement pc, modified kappa and its label."""

    name: str
    n_experts: int
    n_relevant: int
    i_cvi: float
    pc: float
    kappa: float
    kappa_label: str
    acceptable: bool


@dataclass(frozen=True)
class CVIResult:
    """Item- and scale-level content validity of a panel's ratings."""

    items: tuple[ItemCVI, ...]
    n_experts: int
    s_cvi_ave: float
    s_cvi_ua: float
    icvi_rule: str
    icvi_cutoff: float
    s_cvi_ave_acceptable: bool
    citation: str
    unverified: tuple[str, ...]


def _icvi_acceptable(n_relevant: int, n_experts: int, cutoff: float) -> bool:
    """Whether an I-CVI meets the cut-off as Polit, Beck & Owen (2007) apply it: on the I-CVI rounded (half
    up) to two decimals, so 7 of 9 experts (0.778, tabulated there as 0.78 with k* 0.76 "excellent") passes
    the 0.78 cut-off. Integer arithmetic, so no float lands on the wrong side."""
    percent = (200 * n_relevant + n_experts) // (2 * n_experts)
    return percent >= round(cutoff * 100)


def content_validity(
    ratings: RatingMatrix | Sequence[Sequence[int]],
    *,
    icvi_rule: Literal["polit2007", "lynn1986"] = "polit2007",
) -> CVIResult:
    """I-CVI per item, S-CVI/Ave, S-CVI/UA and modified kappa (Polit & Beck 2006; Polit, Beck & Owen 2007).

    ``ratings`` is a :class:`RatingMatrix` or nested lists with one row per expert.  ``icvi_rule``
    sets the I-CVI acceptance cut-off: ``"polit2007"`` 0.78; ``"lynn1986"`` 1.00 with <= 5 experts.
    """
    matrix = ratings if isinstance(ratings, RatingMatrix) else RatingMatrix.from_rows(ratings)
    rule = require_choice(icvi_rule, "icvi_rule", ("polit2007", "lynn1986"))
    n = len(matrix.ratings)
    unverified = ["scvi_ave_cutoff: the 0.90 S-CVI/Ave benchmark is from a secondary source [S]"]
    if rule == "lynn1986" and n <= 5:
        cutoff = 1.0
    else:
        cutoff = ICVI_CUTOFF
        if rule == "lynn1986":
            unverified.append(
                "lynn1986_cutoff: the reference states Lynn's rule only for <= 5 experts; 0.78 used [U]"
            )
    items = []
    for i, name in enumerate(matrix.item_names):
        relevant = sum(1 for row in matrix.ratings if row[i] >= 3)
        pc, kappa = modified_kappa(n, relevant)
        items.append(ItemCVI(name, n, relevant, relevant / n, pc, kappa, kappa_label(kappa),
                             _icvi_acceptable(relevant, n, cutoff)))
    s_ave = sum(item.i_cvi for item in items) / len(items)
    # Compared as the exact fraction: the float mean of 0.9-ish I-CVIs can land a hair under 0.90.
    s_ave_exact = Fraction(sum(item.n_relevant for item in items), n * len(items))
    s_ua = sum(1 for item in items if item.n_relevant == n) / len(items)
    return CVIResult(
        items=tuple(items),
        n_experts=n,
        s_cvi_ave=s_ave,
        s_cvi_ua=s_ua,
        icvi_rule=rule,
        icvi_cutoff=cutoff,
        s_cvi_ave_acceptable=s_ave_exact >= Fraction(str(SCVI_AVE_CUTOFF)),
        citation=CITATION,
        unverified=tuple(unverified),
    )
