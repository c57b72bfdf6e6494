"""Streaming writers: tables in, one output file out, a chunk at a time.

The bytes a writer produces depend only on the tables it is given, in order; the checkpointed
and the direct path both feed it the same tables, which is why a resumed run's output is
byte-identical to an uninterrupted one.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from scoring.formats import FileFormat
from scoring.scorer import JSON_META


class Writer(Protocol):
    def write(self, table: pa.Table) -> None: ...

    def close(self) -> None: ...


def _is_json(field: pa.Field) -> bool:
    return bool(field.metadata) and field.metadata.get(b"fanzha.json") == b"1"


class ParquetOut:
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._writer = pq.ParquetWriter(path, schema)

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()


class CsvOut:
    """CSV cannot hold nested values: nested input columns are written as JSON text."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: FileFormat) -> None:
        self._nested = [f.name for f in schema if pa.types.is_nested(f.type)]
        flat = pa.schema(
            pa.field(f.name, pa.string(), metadata=JSON_META) if f.name in self._nested else f
            for f in schema
        )
        self._stream = pa.output_stream(path, compression="gzip" if fmt.gzip else None)
        options = pacsv.WriteOptions(delimiter=fmt.delimiter)
        self._writer = pacsv.CSVWriter(self._stream, flat, write_options=options)
        self._schema = flat

    def write(self, table: pa.Table) -> None:
        for name in self._nested:
            index = table.schema.get_field_index(name)
            text = pa.array(
                [None if v is None else _dumps(v) for v in table.column(name).to_pylist()],
                type=pa.string(),
            )
            table = table.set_column(index, self._schema.field(name), text)
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()
        self._stream.close()


class JsonlOut:
    """One object per row, keys in column order; JSON-holding columns become nested JSON."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: FileFormat) -> None:
        self._json = [f.name for f in schema if _is_json(f)]
        self._stream = pa.output_stream(path, compression="gzip" if fmt.gzip else None)

    def write(self, table: pa.Table) -> None:
        lines = []
        for row in table.to_pylist():
            for name in self._json:
                if row[name] is not None:
                    row[name] = json.loads(row[name])
            lines.append(_dumps(row))
        if lines:
            self._stream.write(("\n".join(lines) + "\n").encode("utf-8"))

    def close(self) -> None:
        self._stream.close()


def _plain(value: Any) -> Any:
    """JSON for the values Arrow hands back that json does not know."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | dt.timedelta):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_plain)


def open_writer(path: Path, fmt: FileFormat, schema: pa.Schema) -> Writer:
    if fmt.name == "parquet":
        return ParquetOut(path, schema)
    if fmt.name == "jsonl":
        return JsonlOut(path, schema, fmt)
    return CsvOut(path, schema, fmt)
