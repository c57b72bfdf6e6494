"""Chunked readers: an archive in, fixed-size Arrow tables out, memory flat however large it is.

Every chunk holds exactly `chunk_size` rows (the last one fewer), counted from the start of the
file, so chunk k is the same rows on every run: resuming and the Spark engine rely on that.
All input columns are kept with a schema fixed for the whole file; the text column's values are
also handed over exactly as read, so a non-text value is reported rather than coerced.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from scoring.formats import FileFormat, ScoringError
from scoring.scorer import JSON_META, Unreadable

_CSV_BLOCK = 1 << 20


@dataclass(frozen=True)
class Chunk:
    index: int
    table: pa.Table  # input columns, the source's schema
    texts: list[object]  # the text column as read (str, None, other types, Unreadable)


def rebatch(batches: Iterable[pa.RecordBatch], schema: pa.Schema, size: int) -> Iterator[pa.Table]:
    """Regroup record batches of any size into tables of exactly `size` rows (last: fewer)."""
    buffer: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        buffer.append(batch)
        held += batch.num_rows
        while held >= size:
            table = pa.Table.from_batches(buffer, schema)
            yield table.slice(0, size)
            rest = table.slice(size)
            buffer, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(buffer, schema)


class Source:
    """An input file: its schema, its row count, and its rows in chunks."""

    def __init__(self, path: Path, fmt: FileFormat, text_column: str) -> None:
        if not path.is_file():
            raise ScoringError(f"{path}: no such file")
        self.path, self.fmt, self.text_column = path, fmt, text_column
        self.schema = self._read_schema()
        names = self.schema.names
        if len(set(names)) != len(names):
            raise ScoringError(f"{path}: duplicate column names {names}; rename them")
        if text_column not in names:
            raise ScoringError(
                f"{path}: no column {text_column!r}; its columns are {names}. "
                "Name the text column with --text-column"
            )

    def _read_schema(self) -> pa.Schema:
        raise NotImplementedError

    def count_rows(self) -> int:
        raise NotImplementedError

    def batches(self, skip_rows: int) -> Iterator[tuple[pa.RecordBatch, list[object] | None]]:
        """Record batches from row `skip_rows` on, each with the raw text values when those
        differ from what the Arrow column holds (JSONL), else None."""
        raise NotImplementedError

    def chunks(self, chunk_size: int, skip_chunks: int = 0) -> Iterator[Chunk]:
        index = skip_chunks
        pending_texts: list[object] = []
        raw_seen = False

        def tagged() -> Iterator[pa.RecordBatch]:
            nonlocal raw_seen
            for batch, texts in self.batches(skip_chunks * chunk_size):
                if texts is not None:
                    raw_seen = True
                    pending_texts.extend(texts)
                yield batch

        for table in rebatch(tagged(), self.schema, chunk_size):
            if raw_seen:
                texts = pending_texts[: table.num_rows]
                del pending_texts[: table.num_rows]
            else:
                texts = table.column(self.text_column).to_pylist()
            yield Chunk(index, table, texts)
            index += 1


class CsvSource(Source):
    """CSV/TSV with every column read as text, exactly as written: ids keep leading zeros.
    An empty field is null and a quoted empty field ("") an empty string, as Spark reads them
    and as the CSV writer writes them back. Quoted fields may span lines."""

    def __init__(self, path: Path, fmt: FileFormat, text_column: str, encoding: str) -> None:
        self.encoding = encoding
        super().__init__(path, fmt, text_column)

    def _open(self, **convert: Any) -> pacsv.CSVStreamingReader:
        try:
            return pacsv.open_csv(
                self.path,
                read_options=pacsv.ReadOptions(block_size=_CSV_BLOCK, encoding=self.encoding),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.fmt.delimiter, newlines_in_values=True
                ),
                convert_options=pacsv.ConvertOptions(**convert),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise self._malformed(exc) from exc

    def _read_schema(self) -> pa.Schema:
        names = self._open().schema.names
        return pa.schema([(name, pa.string()) for name in names])

    def _batches(self, **convert: Any) -> Iterator[pa.RecordBatch]:
        reader = self._open(**convert)
        while True:
            try:
                yield reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                raise self._malformed(exc) from exc

    def _malformed(self, exc: Exception) -> ScoringError:
        return ScoringError(
            f"{self.path}: cannot be read as {self.encoding} {self.fmt.name} ({exc}); if it is "
            "not UTF-8 pass --encoding (e.g. --encoding gbk), else fix the file (every row "
            "needs as many fields as the header; a quoted field may be unterminated)"
        )

    def count_rows(self) -> int:
        first = self.schema.names[0]
        return sum(b.num_rows for b in self._batches(include_columns=[first]))

    def batches(self, skip_rows: int) -> Iterator[tuple[pa.RecordBatch, list[object] | None]]:
        types = {name: pa.string() for name in self.schema.names}
        convert = {
            "column_types": types,
            "strings_can_be_null": True,
            "null_values": [""],
            "quoted_strings_can_be_null": False,
        }
        for batch in self._batches(**convert):
            if skip_rows >= batch.num_rows:
                skip_rows -= batch.num_rows
                continue
            yield batch.slice(skip_rows), None
            skip_rows = 0


class ParquetSource(Source):
    def _read_schema(self) -> pa.Schema:
        try:
            self.file = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ScoringError(f"{self.path}: not a readable Parquet file: {exc}") from exc
        schema = self.file.schema_arrow
        field = schema.field(self.text_column) if self.text_column in schema.names else None
        textual = (pa.types.is_string, pa.types.is_large_string, pa.types.is_null)
        if field is not None and not any(check(field.type) for check in textual):
            raise ScoringError(
                f"{self.path}: column {self.text_column!r} holds {field.type}, not text; "
                "name the message column with --text-column"
            )
        return schema

    def count_rows(self) -> int:
        return int(self.file.metadata.num_rows)

    def batches(self, skip_rows: int) -> Iterator[tuple[pa.RecordBatch, list[object] | None]]:
        # Whole row groups before `skip_rows` are never decoded: resuming late in a big file
        # costs nothing.
        meta = self.file.metadata
        first = 0
        while first < meta.num_row_groups and skip_rows >= meta.row_group(first).num_rows:
            skip_rows -= meta.row_group(first).num_rows
            first += 1
        groups = list(range(first, meta.num_row_groups))
        if not groups:
            return
        for batch in self.file.iter_batches(batch_size=65536, row_groups=groups):
            if skip_rows >= batch.num_rows:
                skip_rows -= batch.num_rows
                continue
            yield batch.slice(skip_rows), None
            skip_rows = 0


class JsonlSource(Source):
    """One JSON object per line; blank lines are not rows, any other line is (a line that is
    not an object becomes an error row). A first pass fixes one schema for the whole file:
    a key holding one JSON type keeps it (ints mixed with floats become floats), a key holding
    objects or lists is kept as JSON text and written back as JSON, and a key mixing text with
    other types is kept as text."""

    def __init__(self, path: Path, fmt: FileFormat, text_column: str, encoding: str) -> None:
        self.encoding = encoding
        self._rows: int | None = None
        super().__init__(path, fmt, text_column)

    def _lines(self) -> IO[str]:
        if self.fmt.gzip:
            return io.TextIOWrapper(gzip.open(self.path, "rb"), encoding=self.encoding)
        return self.path.open("r", encoding=self.encoding)

    def _records(self, skip_rows: int = 0) -> Iterator[tuple[int, dict[str, Any] | Unreadable]]:
        with self._lines() as fh:
            try:
                for lineno, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    if skip_rows:
                        skip_rows -= 1
                        continue
                    try:
                        value = json.loads(line)
                    except json.JSONDecodeError as exc:
                        yield lineno, Unreadable(f"line {lineno}: invalid JSON ({exc.msg})")
                        continue
                    if not isinstance(value, dict):
                        value = Unreadable(
                            f"line {lineno}: a JSON {type(value).__name__}, not an object"
                        )
                    yield lineno, value
            except UnicodeDecodeError as exc:
                raise ScoringError(
                    f"{self.path}: not {self.encoding} text ({exc}); pass --encoding (e.g. gbk)"
                ) from exc

    def _read_schema(self) -> pa.Schema:
        kinds: dict[str, set[str]] = {}
        rows = 0
        for _, record in self._records():
            rows += 1
            if isinstance(record, Unreadable):
                continue
            for key, value in record.items():
                kinds.setdefault(key, set()).add(_json_kind(value))
        self._rows = rows
        if not rows:  # nothing names any column: an empty file has just the text column
            return pa.schema([(self.text_column, pa.string())])
        return pa.schema(_json_field(key, found - {"null"}) for key, found in kinds.items())

    def count_rows(self) -> int:
        assert self._rows is not None
        return self._rows

    def batches(self, skip_rows: int) -> Iterator[tuple[pa.RecordBatch, list[object] | None]]:
        block: list[dict[str, Any] | Unreadable] = []
        for _, record in self._records(skip_rows):
            block.append(record)
            if len(block) == 4096:
                yield self._batch(block)
                block = []
        if block:
            yield self._batch(block)

    def _batch(
        self, block: list[dict[str, Any] | Unreadable]
    ) -> tuple[pa.RecordBatch, list[object]]:
        rows = [{} if isinstance(r, Unreadable) else r for r in block]
        arrays = [_json_array([row.get(f.name) for row in rows], f) for f in self.schema]
        texts = [r if isinstance(r, Unreadable) else r.get(self.text_column) for r in block]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema), texts


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -(2**63) <= value < 2**63 else "bigint"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return "nested"


def _json_field(name: str, kinds: set[str]) -> pa.Field:
    if kinds == {"bool"}:
        return pa.field(name, pa.bool_())
    if kinds == {"int"}:
        return pa.field(name, pa.int64())
    if kinds and kinds <= {"int", "float"}:
        return pa.field(name, pa.float64())
    if kinds == {"nested"}:
        return pa.field(name, pa.string(), metadata=JSON_META)
    return pa.field(name, pa.string())


def _json_array(values: list[Any], field: pa.Field) -> pa.Array:
    if pa.types.is_string(field.type):
        values = [
            v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for v in values
        ]
    elif pa.types.is_floating(field.type):
        values = [None if v is None else float(v) for v in values]
    return pa.array(values, type=field.type)


def open_source(path: str | Path, fmt: FileFormat, text_column: str, encoding: str) -> Source:
    path = Path(path)
    if fmt.name == "parquet":
        return ParquetSource(path, fmt, text_column)
    if fmt.name == "jsonl":
        return JsonlSource(path, fmt, text_column, encoding)
    return CsvSource(path, fmt, text_column, encoding)
