"""Set-based writes: many rows of one table in one statement.

On PostgreSQL a batch of rows travels as one array per column and is written by a single
``INSERT ... SELECT FROM unnest(...)`` or ``UPDATE ... FROM unnest(...)``: the server plans
and runs one statement however many rows there are, instead of one per row (executemany
still executes each row's statement separately, which is what bounded the worker). SQLite
runs in-process, where a per-row statement costs microseconds, so it keeps executemany.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Select,
    Table,
    and_,
    bindparam,
    func,
    insert,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.orm import QueryableAttribute

__all__ = ["insert_rows", "restrict_to_keys", "update_rows"]

_POSTGRES = postgresql.dialect()  # type: ignore[no-untyped-call]


def _array_type(table: Table, name: str) -> str:
    """The PostgreSQL element type a column's values travel as (JSON as text)."""
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        return "text"
    return str(column_type.compile(dialect=_POSTGRES))


def _arrays(
    connection: Connection, table: Table, names: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> tuple[str, dict[str, list[Any]]]:
    """``unnest(...) AS v(...)`` over these columns of the rows, and its parameters."""
    quote = connection.dialect.identifier_preparer.quote
    params: dict[str, list[Any]] = {}
    arrays = []
    for n, name in enumerate(names):
        values = [row[name] for row in rows]
        if isinstance(table.c[name].type, JSON):
            values = [None if v is None else json.dumps(v) for v in values]
        params[f"p{n}"] = values
        arrays.append(f"CAST(%(p{n})b AS {_array_type(table, name)}[])")
    columns = ", ".join(quote(name) for name in names)
    return f"unnest({', '.join(arrays)}) AS v({columns})", params


def _value(table: Table, name: str, source: str) -> str:
    """`source`, cast back to the column's type where it travelled as text."""
    return f"CAST({source} AS json)" if isinstance(table.c[name].type, JSON) else source


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys: column names) into `table`."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    quote = connection.dialect.identifier_preparer.quote
    source, params = _arrays(connection, table, names, rows)
    values = ", ".join(_value(table, name, f"v.{quote(name)}") for name in names)
    columns = ", ".join(quote(name) for name in names)
    connection.exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({columns}) SELECT {values} FROM {source}", params
    )


def update_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    increments: Collection[str] = (),
) -> None:
    """Update the rows of `table` whose `keys` columns match each row's; every other key of
    a row is a column set to its value, or, for the columns in `increments`, added to it
    (so a counter never loses another transaction's addition)."""
    if not rows:
        return
    names = [name for name in rows[0] if name not in keys]
    if connection.dialect.name != "postgresql":
        match = [table.c[k] == bindparam(f"key_{k}") for k in keys]
        values = {
            name: table.c[name] + bindparam(f"new_{name}")
            if name in increments
            else bindparam(f"new_{name}")
            for name in names
        }
        connection.execute(
            update(table).where(*match).values(values),
            [
                {**{f"key_{k}": row[k] for k in keys}, **{f"new_{n}": row[n] for n in names}}
                for row in rows
            ],
        )
        return
    quote = connection.dialect.identifier_preparer.quote
    target = quote(table.name)
    source, params = _arrays(connection, table, [*keys, *names], rows)
    assignments = ", ".join(
        f"{quote(name)} = {target}.{quote(name)} + v.{quote(name)}"
        if name in increments
        else f"{quote(name)} = {_value(table, name, f'v.{quote(name)}')}"
        for name in names
    )
    matches = " AND ".join(f"{target}.{quote(k)} = v.{quote(k)}" for k in keys)
    connection.exec_driver_sql(
        f"UPDATE {target} SET {assignments} FROM {source} WHERE {matches}", params
    )


def restrict_to_keys(
    query: Select[Any],
    columns: Sequence[QueryableAttribute[Any]],
    keys: Collection[tuple[Any, ...]],
    *,
    dialect: str,
) -> Select[Any]:
    """`query` narrowed to the rows whose `columns` equal one of the distinct `keys`.

    On PostgreSQL the keys travel as one array per column, joined with ``unnest``: the
    statement text is the same for any number of keys (an ``IN`` list of hundreds of
    bound values, or of row values, is a new statement to plan for every batch size).
    """
    if dialect == "postgresql":
        arrays = [
            bindparam(f"key_{n}", [key[n] for key in keys], type_=postgresql.ARRAY(c.type))
            for n, c in enumerate(columns)
        ]
        names = [f"k{n}" for n in range(len(columns))]
        wanted = func.unnest(*arrays).table_valued(*names).render_derived(name="wanted")
        return query.join(
            wanted, and_(*(c == wanted.c[name] for c, name in zip(columns, names, strict=True)))
        )
    if len(columns) == 1:
        return query.where(columns[0].in_([key[0] for key in keys]))
    return query.where(tuple_(*columns).in_(list(keys)))
