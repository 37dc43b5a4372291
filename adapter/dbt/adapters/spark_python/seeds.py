"""Seed rows as Spark SQL literals, for every connection method (session, Connect, thrift).

dbt-spark binds seed values with `sql % params` and wraps each in quotes unescaped: a `'`, `\\`
or `%` in a cell breaks the statement (or injects SQL), an empty cell becomes the string 'None',
and decimals pass through float. Here every value is rendered as a literal cast to its column's
type, with no parameter formatting at all:

- NULL for empty cells;
- numbers, dates and timestamps as their exact text, so `cast('12.30' as decimal(10,2))` keeps
  its digits and `cast('2024-01-31' as date)` its type;
- text as a quoted literal when that is unambiguous, else as UTF-8 bytes (`X'...'`): a Spark
  string literal's backslash handling depends on spark.sql.parser.escapedStringLiterals, a
  binary literal's does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any


def text_literal(value: str) -> str:
    """A Spark SQL expression for the string `value`, whatever the parser's escape settings."""
    if "'" not in value and "\\" not in value:
        return f"'{value}'"
    return f"cast(X'{value.encode('utf-8').hex().upper()}' as string)"


def value_literal(value: Any) -> str:
    """A Spark SQL literal for one agate cell (None, bool, Decimal, date, datetime, str, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        # Fixed-point text: no exponent, every digit agate read.
        return f"'{value:f}'" if value.is_finite() else f"'{value}'"
    if isinstance(value, int | float):
        return f"'{value!r}'"
    if isinstance(value, dt.datetime):
        return f"'{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'"
    if isinstance(value, dt.timedelta):
        return f"'{value.total_seconds()!r}'"
    return text_literal(str(value))


def values_sql(rows: Iterable[Sequence[Any]], column_types: Sequence[str]) -> str:
    """The tuples of `insert into ... values <here>` for `rows`, each value cast to its type."""
    tuples = []
    for row in rows:
        if len(row) != len(column_types):
            raise ValueError(f"seed row has {len(row)} values, expected {len(column_types)}")
        casts = ", ".join(
            f"cast({value_literal(value)} as {column_type})"
            for value, column_type in zip(row, column_types, strict=True)
        )
        tuples.append(f"({casts})")
    return ",\n".join(tuples)
