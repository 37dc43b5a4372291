"""Seed values as Spark SQL literals (dbt/adapters/spark_python/seeds.py): pure, no Spark.

The round trip through Spark is in test_fresh_project.py; these pin the rendering itself.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from dbt.adapters.spark_python.seeds import text_literal, value_literal, values_sql


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (Decimal("12.30"), "'12.30'"),
        (Decimal("1E+3"), "'1000'"),  # fixed-point, never an exponent
        (7, "'7'"),
        (dt.date(2024, 1, 31), "'2024-01-31'"),
        (dt.datetime(2024, 1, 31, 8, 5, 1, 250000), "'2024-01-31 08:05:01.250000'"),
        ("plain text, 50% off\nline two", "'plain text, 50% off\nline two'"),
    ],
)
def test_values_render_as_exact_literals(value: object, literal: str) -> None:
    assert value_literal(value) == literal


@pytest.mark.parametrize("text", ["O'Brien", "C:\\temp\\new", "'; drop table x; --", "\\'"])
def test_text_with_quotes_or_backslashes_goes_as_utf8_bytes(text: str) -> None:
    literal = text_literal(text)
    assert literal.startswith("cast(X'") and literal.endswith("' as string)")
    assert bytes.fromhex(literal[len("cast(X'") : -len("' as string)")]).decode() == text


def test_rows_become_tuples_cast_to_their_column_types() -> None:
    sql = values_sql([(1, "a", None), (2, "b'c", Decimal("0.5"))], ["bigint", "string", "double"])
    assert sql == (
        "(cast('1' as bigint), cast('a' as string), cast(null as double)),\n"
        "(cast('2' as bigint), cast(cast(X'622763' as string) as string), cast('0.5' as double))"
    )
    with pytest.raises(ValueError, match="2 values, expected 3"):
        values_sql([(1, "a")], ["bigint", "string", "double"])
