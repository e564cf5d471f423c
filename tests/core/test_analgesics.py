"""Golden tests for palliro.core.analgesics (reference clinical.md §1.5 worked examples [C])."""

from __future__ import annotations

import pytest

from palliro.core.analgesics import (
    TABLES,
    AnalgesicRecord,
    ConversionFactor,
    ConversionTable,
    daily_omed,
    doses_per_day,
)
from palliro.core.errors import PalliroValueError


def test_oxycodone_20_mg_bid_is_60():
    # Reference §1.5 [C], CDC 2022: oxycodone 20 mg bid = 40 mg/d -> 60 mg OMED.
    res = daily_omed([AnalgesicRecord("oxycodone", 20, "mg", "oral", "bid")])
    assert res.omed_mg_per_day == pytest.approx(60.0)
    assert res.items[0].daily_amount == pytest.approx(40.0)
    assert res.table == "CDC2022"
    assert "CDCMMEClinicalConversionFactors" in res.citation
    assert res.verified


def test_fentanyl_25_mcg_per_hour_is_60():
    # Reference §1.5 [C], CDC 2022: fentanyl transdermal 25 mcg/h x 2.4 -> 60 mg OMED.
    res = daily_omed([AnalgesicRecord("Fentanyl", 25, "mcg/h", "transdermal")])
    assert res.omed_mg_per_day == pytest.approx(60.0)


def test_hydromorphone_4_mg_q4h_is_120():
    # Reference §1.5 [C], CDC 2022 factor 5: 24 mg/d -> 120 mg OMED.
    res = daily_omed([AnalgesicRecord("hydromorphone", 4, "mg", "po", "q4h")])
    assert res.omed_mg_per_day == pytest.approx(120.0)


def test_custom_table_with_cdc2016_hydromorphone_factor_gives_96():
    # Reference §1.5 [C]: 96 with the CDC 2016 hydromorphone factor 4.  No built-in CDC2016 table
    # (the reference lacks the methadone tiers), so a protocol-specific table is passed instead.
    table = ConversionTable(
        "protocol-X", "trial protocol X appendix", {("hydromorphone", "oral"): ConversionFactor(4)}
    )
    res = daily_omed([AnalgesicRecord("hydromorphone", 4, "mg", "oral", "q4h")], table=table)
    assert res.omed_mg_per_day == pytest.approx(96.0)
    assert res.table == "protocol-X"


def test_sum_of_several_records_and_mcg_unit():
    res = daily_omed(
        [
            AnalgesicRecord("oxycodone", 20, "mg", "oral", "bid"),
            AnalgesicRecord("morphine", 10, "mg", "oral", 2),
            AnalgesicRecord("fentanyl", 12, "mcg/h", "transdermal"),
            AnalgesicRecord("codeine", 30000, "mcg", "oral", "qid"),
        ]
    )
    # 60 + 20 + 28.8 + 120 mg * 0.15 = 18
    assert res.omed_mg_per_day == pytest.approx(126.8)
    assert len(res.items) == 4


def test_bnf_table_factors_and_unverified():
    records = [
        AnalgesicRecord("morphine", 5, "mg", "sc", "q4h"),  # 30 mg SC x 2 = 60
        AnalgesicRecord("diamorphine", 10, "mg", "sc", "daily"),  # x 3 = 30
        AnalgesicRecord("tramadol", 100, "mg", "oral", "tid"),  # 300 x 0.1 = 30
        AnalgesicRecord("oxycodone", 5, "mg", "sc", "bid"),  # 10 x 2 = 20
    ]
    res = daily_omed(records, table="BNF")
    assert res.omed_mg_per_day == pytest.approx(140.0)
    assert not res.verified
    assert res.unverified


def test_unknown_combination_raises_naming_drug_and_table():
    with pytest.raises(PalliroValueError, match=r"morphine.*sc.*CDC2022|CDC2022.*morphine") as err:
        daily_omed([AnalgesicRecord("morphine", 5, "mg", "sc", "q4h")])
    assert err.value.field == "drug"
    with pytest.raises(PalliroValueError, match="BNF"):
        daily_omed([AnalgesicRecord("fentanyl", 25, "mcg/h", "transdermal")], table="BNF")
    with pytest.raises(PalliroValueError, match="unicornol"):
        daily_omed([AnalgesicRecord("unicornol", 5, "mg", "oral", "bid")])


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (AnalgesicRecord("oxycodone", 20, "mg", "rectal", "bid"), "records[0].route"),  # type: ignore[arg-type]
        (AnalgesicRecord("oxycodone", 20, "g", "oral", "bid"), "records[0].unit"),  # type: ignore[arg-type]
        (AnalgesicRecord("oxycodone", -1, "mg", "oral", "bid"), "records[0].dose"),
        (AnalgesicRecord("oxycodone", 20, "mg", "oral", None), "records[0].frequency"),
        (AnalgesicRecord("oxycodone", 20, "mg", "oral", "sometimes"), "records[0].frequency"),
        (AnalgesicRecord("fentanyl", 25, "mg", "transdermal"), "records[0].unit"),
        (AnalgesicRecord("fentanyl", 25, "mcg/h", "transdermal", "q72h"), "records[0].frequency"),
        (AnalgesicRecord("oxycodone", 20, "mcg/h", "oral"), "records[0].unit"),
        (AnalgesicRecord("", 20, "mg", "oral", "bid"), "records[0].drug"),
        # 100 000 mg/day is the plausibility limit: 35 000 mg oxycodone x 2 x 1.5 = 105 000 mg/day.
        (AnalgesicRecord("oxycodone", 35_000, "mg", "oral", "bid"), "records[0].dose"),
    ],
)
def test_bad_records(record, field):
    with pytest.raises(PalliroValueError) as err:
        daily_omed([record])
    assert err.value.field == field


def test_unknown_table_and_empty_list():
    with pytest.raises(PalliroValueError) as err:
        daily_omed([], table="CDC2016")
    assert err.value.field == "table"
    assert daily_omed([]).omed_mg_per_day == 0.0
    assert set(TABLES) == {"CDC2022", "BNF"}


@pytest.mark.parametrize(
    ("text", "per_day"),
    [
        ("daily", 1),
        ("bid", 2),
        ("tid", 3),
        ("qid", 4),
        ("q4h", 6),
        ("q6h", 4),
        ("q8h", 3),
        ("q12h", 2),
        ("Q 4 H", 6),
        ("3x daily", 3),
        (2.5, 2.5),
    ],
)
def test_doses_per_day(text, per_day):
    assert doses_per_day(text) == pytest.approx(per_day)


def test_doses_per_day_rejects_zero_and_bool():
    for bad in (0, True, "q0h", "prn"):
        with pytest.raises(PalliroValueError):
            doses_per_day(bad)
