"""Golden tests for palliro.core.cvi against reference clinical.md §5 tables."""

from __future__ import annotations

import pytest

from palliro.core.cvi import (
    RatingMatrix,
    content_validity,
    kappa_label,
    modified_kappa,
    parse_rating_matrix,
)
from palliro.core.errors import PalliroValueError

# BMC Health Serv Res 2017 (s12913-017-2469-8) Table 10 = PMC5557472 [V]; values printed to 2-3 decimals.
TABLE_10 = [
    (10, 10, 1.00, 0.001, 1.00),
    (10, 9, 0.90, 0.010, 0.90),
    (10, 8, 0.80, 0.044, 0.79),
    (10, 7, 0.70, 0.117, 0.66),
    (9, 8, 0.89, 0.018, 0.89),
    (9, 7, 0.78, 0.070, 0.76),
    (9, 6, 0.67, 0.164, 0.60),
]


@pytest.mark.parametrize(("n", "a", "icvi", "pc", "kappa"), TABLE_10)
def test_published_kappa_table(n, a, icvi, pc, kappa):
    got_pc, got_kappa = modified_kappa(n, a)
    assert a / n == pytest.approx(icvi, abs=0.005)
    assert got_pc == pytest.approx(pc, abs=0.0005)
    assert got_kappa == pytest.approx(kappa, abs=0.005)


# Reference §5 "more vectors" [C], printed to 3 decimals.
MORE = [
    (3, 3, 0.125, 1.00),
    (3, 2, 0.375, 0.467),
    (4, 3, 0.25, 0.667),
    (5, 4, 0.156, 0.763),
    (6, 5, 0.094, 0.816),
    (6, 4, 0.234, 0.565),
    (7, 6, 0.055, 0.849),
    (8, 7, 0.031, 0.871),
    (8, 6, 0.109, 0.719),
]


@pytest.mark.parametrize(("n", "a", "pc", "kappa"), MORE)
def test_more_kappa_vectors(n, a, pc, kappa):
    got_pc, got_kappa = modified_kappa(n, a)
    assert got_pc == pytest.approx(pc, abs=0.0005)
    assert got_kappa == pytest.approx(kappa, abs=0.0005)


# PMC7253559 Table 4 [V]: 12 items (rows) x 6 experts (columns).
PANEL = [
    [4, 4, 4, 4, 4, 4],
    [4, 3, 4, 4, 3, 4],
    [4, 4, 4, 4, 4, 4],
    [4, 4, 4, 4, 4, 4],
    [3, 4, 4, 4, 4, 4],
    [2, 3, 4, 3, 3, 4],
    [4, 4, 4, 4, 4, 4],
    [4, 4, 4, 4, 4, 4],
    [3, 3, 4, 2, 3, 4],
    [4, 4, 4, 3, 4, 4],
    [4, 4, 4, 3, 4, 4],
    [4, 4, 4, 3, 4, 4],
]


def test_full_panel_matrix():
    matrix = RatingMatrix.from_rows(PANEL, rows_are="items")
    assert len(matrix.ratings) == 6 and len(matrix.item_names) == 12
    res = content_validity(matrix)
    icvis = [round(item.i_cvi, 2) for item in res.items]
    assert icvis == [1.0, 1.0, 1.0, 1.0, 1.0, 0.83, 1.0, 1.0, 0.83, 1.0, 1.0, 1.0]
    assert res.s_cvi_ave == pytest.approx(0.9722, abs=5e-5)  # reported 0.97
    assert res.s_cvi_ua == pytest.approx(10 / 12)  # reported 0.83
    assert res.s_cvi_ave_acceptable
    assert res.items[5].kappa == pytest.approx(0.816, abs=0.0005)  # N 6, A 5
    assert res.items[5].kappa_label == "excellent"
    assert all(item.acceptable for item in res.items)  # 0.83 >= 0.78
    # Same panel given as experts x items (the default orientation).
    transposed = [list(col) for col in zip(*PANEL, strict=True)]
    assert content_validity(transposed).s_cvi_ave == pytest.approx(res.s_cvi_ave)


def test_lynn_rule():
    five = [[4, 4, 2], [4, 3, 3], [3, 4, 4], [4, 4, 4], [4, 3, 4]]  # 5 experts x 3 items
    res = content_validity(five, icvi_rule="lynn1986")
    assert res.icvi_cutoff == 1.0
    assert [item.acceptable for item in res.items] == [True, True, False]
    assert content_validity(five).items[2].acceptable  # 0.8 >= 0.78 under Polit 2007
    six = [*five, [4, 4, 4]]
    assert any("lynn1986" in u for u in content_validity(six, icvi_rule="lynn1986").unverified)


@pytest.mark.parametrize(
    ("k", "label"),
    [(0.75, "excellent"), (0.74, "good"), (0.60, "good"), (0.59, "fair"), (0.40, "fair"), (0.39, "poor")],
)
def test_kappa_labels(k, label):
    assert kappa_label(k) == label


def test_parse_csv_with_item_header_and_expert_labels():
    text = "expert,Q1,Q2,Q3\nA,4,3,2\nB,4,4,1\nC,3,4,4\n"
    matrix = parse_rating_matrix(text)
    assert matrix.item_names == ("Q1", "Q2", "Q3")
    assert matrix.expert_names == ("A", "B", "C")
    assert matrix.ratings == ((4, 3, 2), (4, 4, 1), (3, 4, 4))
    res = content_validity(matrix)
    assert [i.n_relevant for i in res.items] == [3, 3, 1]


def test_parse_pasted_items_by_experts_without_labels():
    text = "E1\tE2\tE3\n4\t4\t3\n2\t3\t4\n"
    matrix = parse_rating_matrix(text, rows_are="items")
    assert matrix.expert_names == ("E1", "E2", "E3")
    assert matrix.ratings == ((4, 2), (4, 3), (3, 4))
    plain = parse_rating_matrix("4 4 3\n2 3 4\n")
    assert plain.item_names == ("item 1", "item 2", "item 3")
    semicolon = parse_rating_matrix(";I1;I2\nx;4;3\ny;2;1\n")
    assert semicolon.item_names == ("I1", "I2") and semicolon.expert_names == ("x", "y")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Q1,Q2\n4,x\n", "line 2, column 2: 'x' is not a number"),
        ("Q1,Q2\n4,5\n", "line 2, column 2: rating must be 1, 2, 3 or 4"),
        ("e,Q1,Q2\nA,4,0\n", "line 2, column 3: rating must be"),
        ("Q1,Q2\n4,3\n4\n", "line 3: 1 ratings, expected 2"),
        ("Q1,Q2\n4,\n", "line 2, column 2: missing rating"),
        ("Q1,Q2,Q3\n4,3\n", "header has 3 names"),
        ("   \n", "no ratings"),
        ("Q1,Q2\n", "no rating rows"),
        ("Q1\n2.5\n", "rating must be"),
    ],
)
def test_parse_errors_name_line_and_column(text, message):
    with pytest.raises(PalliroValueError, match=message.replace("(", r"\(")):
        parse_rating_matrix(text)


def test_invalid_inputs():
    with pytest.raises(PalliroValueError):
        modified_kappa(5, 6)
    with pytest.raises(PalliroValueError):
        content_validity([[4, 5]])
    with pytest.raises(PalliroValueError):
        content_validity([[4, 3], [4]])
    with pytest.raises(PalliroValueError) as err:
        content_validity([[4]], icvi_rule="other")  # type: ignore[arg-type]
    assert err.value.field == "icvi_rule"


def test_seven_of_nine_experts_meets_the_polit_cutoff():
    # Polit, Beck & Owen 2007, Table 2: N = 9, A = 7 -> I-CVI .78, k* .76 "excellent" (clinical.md §5).
    item = content_validity([[4]] * 7 + [[1]] * 2).items[0]
    assert item.i_cvi == pytest.approx(7 / 9, abs=1e-12)
    assert item.kappa_label == "excellent"
    assert item.acceptable


@pytest.mark.parametrize(("relevant", "n", "acceptable"), [(3, 4, False), (31, 40, True), (77, 100, False)])
def test_icvi_cutoff_compares_the_two_decimal_value(relevant, n, acceptable):
    # 0.75 and 0.77 fall short; 31/40 = 0.775 rounds (half up) to 0.78.
    ratings = [[4]] * relevant + [[2]] * (n - relevant)
    assert content_validity(ratings).items[0].acceptable is acceptable


def test_scvi_ave_of_exactly_ninety_percent_is_acceptable():
    # 10 experts, 9 items, 81 relevant ratings of 90: the float mean is 0.8999999999999999.
    relevant = [7, 10, 10, 9, 8, 10, 9, 8, 10]
    ratings = [[4 if expert < relevant[i] else 1 for i in range(9)] for expert in range(10)]
    result = content_validity(ratings)
    assert result.s_cvi_ave == pytest.approx(0.9, abs=1e-12)
    assert result.s_cvi_ave_acceptable
    one_less = [row[:] for row in ratings]
    one_less[9][1] = 1  # 80 of 90
    assert not content_validity(one_less).s_cvi_ave_acceptable
