"""File formats of archives: which one a path is, and the errors a user can fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fanzha.errors import UserError

FORMATS = ("csv", "tsv", "jsonl", "parquet")
_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


class ScoringError(UserError):
    """Bad scoring input or settings; the message says what to change."""


@dataclass(frozen=True)
class FileFormat:
    name: str  # one of FORMATS
    gzip: bool = False  # text formats only: the file is gzip-compressed

    @property
    def delimiter(self) -> str:
        return "\t" if self.name == "tsv" else ","

    @property
    def is_text(self) -> bool:
        return self.name != "parquet"


def resolve_format(path: str | Path, flag: str | None = None) -> FileFormat:
    """The format named by `flag`, else by the file's extension (`.csv.gz` is gzip CSV)."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    name = flag.lower() if flag else _BY_SUFFIX.get(suffixes[-1] if suffixes else "")
    if name == "json":
        name = "jsonl"
    if name not in FORMATS:
        problem = (
            f"unknown format {flag!r}"
            if flag
            else f"cannot tell the format of {path} from its name"
        )
        raise ScoringError(
            f"{problem}; name one of {', '.join(FORMATS)} with --format (or --input-format / "
            "--output-format), or use a .csv/.tsv/.jsonl/.parquet file"
        )
    if gz and name == "parquet":
        raise ScoringError(
            f"{path}: gzip around Parquet is not supported; Parquet compresses itself"
        )
    return FileFormat(name, gz)
