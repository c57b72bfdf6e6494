"""Request and response models. Limits come from the settings and appear in the OpenAPI schema
(maxItems, maxLength), so clients can see them before they hit them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from fanzha.indicators import KINDS

MAX_ID_CHARS = 128
MAX_SENDER_CHARS = 64


def _valid_unicode(value: str) -> str:
    """JSON may carry lone UTF-16 surrogates (\\ud800); they are not text and cannot be encoded
    back, so they are refused here instead of failing deep in the tokenizer."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            "contains an unpaired UTF-16 surrogate escape (\\ud800-\\udfff); send valid Unicode"
        ) from None
    return value


def _has_visible_char(value: str) -> str:
    if not value.strip():
        raise ValueError("must contain at least one non-whitespace character")
    return value


def request_model(max_messages: int, max_chars: int) -> type[BaseModel]:
    """The body of POST /v1/classify with these limits."""
    strict = ConfigDict(extra="forbid")
    text = Annotated[
        str,
        Field(
            min_length=1,
            max_length=max_chars,
            description=f"the SMS text, 1 to {max_chars} characters",
            examples=["【顺丰】您的快递丢失，请加客服微信sf-lp88办理双倍理赔"],
        ),
        AfterValidator(_valid_unicode),
        AfterValidator(_has_visible_char),
    ]
    ident = Annotated[
        str | None,
        Field(max_length=MAX_ID_CHARS, description="caller's id, echoed in the result"),
        AfterValidator(lambda v: None if v is None else _valid_unicode(v)),
    ]
    sender = Annotated[
        str | None,
        Field(max_length=MAX_SENDER_CHARS, description="sending number or name"),
        AfterValidator(lambda v: None if v is None else _valid_unicode(v)),
    ]
    message: Any = create_model(
        "Message", __config__=strict, text=(text, ...), id=(ident, None), sender=(sender, None)
    )
    return create_model(
        "ClassifyRequest",
        __config__=strict,
        messages=(
            list[message],
            Field(
                min_length=1,
                max_length=max_messages,
                description=f"1 to {max_messages} messages; results come back in this order",
            ),
        ),
    )


class Score(BaseModel):
    label: str
    score: float


class IndicatorOut(BaseModel):
    kind: Literal[KINDS]  # type: ignore[valid-type]
    text: str = Field(description="the evidence as it appears in the message")
    value: str = Field(description="normalised value, e.g. a URL with its scheme")
    start: int = Field(description="start offset (characters) in the message text")
    end: int


class Change(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="the model's value")
    to: str = Field(description="the value served")


class Span(BaseModel):
    start: int
    end: int


class RuleHit(BaseModel):
    id: str
    kind: Literal["sender_allow", "sender_block", "keyword", "regex"]
    source: Literal["file", "database"]
    reason: str = Field(description="why the rule exists, as its author wrote it")
    changes: dict[Literal["label", "suggestion"], Change] = Field(
        description="what the rule changed (empty: the rule decided and agreed with the model)"
    )
    spans: list[Span] = Field(description="where a keyword or regex matched, in the text sent")


class MessageResult(BaseModel):
    id: str | None
    label: str = Field(description="taxonomy slug of the most probable label")
    label_zh: str
    is_scam: bool
    risk: float = Field(ge=0.0, le=1.0, description="total probability of the scam labels")
    suggestion: Literal["pass", "review", "block"]
    scores: list[Score] = Field(description="top labels, most probable first")
    indicators: list[IndicatorOut]
    truncated: bool = Field(description="the text was longer than the model reads")
    model_version: str
    rules: list[RuleHit] = Field(
        default_factory=list,
        description="analysts' rules that decided the label or suggestion; `risk` and `scores` "
        "stay the model's",
    )


class ClassifyResponse(BaseModel):
    model_version: str
    results: list[MessageResult]


class LabelInfo(BaseModel):
    slug: str
    zh: str
    is_scam: bool


class ModelInfo(BaseModel):
    version: str
    labels: list[LabelInfo]
    thresholds: dict[str, float]
    max_length: int = Field(description="tokens the model reads per message")
    loaded_at: float
    metrics: dict[str, Any] = Field(description="evaluation metrics from the model card")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "loading", "draining"]
    model_version: str | None = None


class ReloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_dir: str | None = Field(
        None, max_length=4096, description="directory to load (default: the configured one)"
    )


class ReloadResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    status: Literal["reloaded", "restarting_workers"]
    previous_version: str | None = None
    version: str | None = None
    model_dir: str


class ErrorDetail(BaseModel):
    field: str = Field(description="where in the request, e.g. messages[3].text")
    problem: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorBody(BaseModel):
    error: ErrorInfo
    request_id: str | None = None


# --- feedback --------------------------------------------------------------------------------
MAX_FEEDBACK_CHARS = 20_000
MAX_DB_ID = 2_147_483_647  # row ids are 32-bit integers in PostgreSQL


def _storable(value: Any) -> Any:
    """Strings that go into the database: valid Unicode (SQLite cannot encode a lone
    surrogate) and no NUL character (PostgreSQL text cannot hold one)."""
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, str):
        _valid_unicode(value)
        if "\x00" in value:
            raise ValueError("contains a NUL character (\\u0000), which cannot be stored")
    return value


Storable = AfterValidator(_storable)


def _label_slug(value: str) -> str:
    from fanzha.taxonomy import UnknownLabelError, to_slug

    try:
        return to_slug(value)
    except UnknownLabelError as exc:
        raise ValueError(str(exc)) from None


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[
        str | None,
        Field(min_length=1, max_length=MAX_FEEDBACK_CHARS, description="the message text"),
        Storable,
        AfterValidator(lambda v: None if v is None else _has_visible_char(v)),
    ] = None
    id: Annotated[
        str | None,
        Field(
            max_length=MAX_ID_CHARS,
            description="instead of the text: the id sent with a message this service scored "
            "recently (kept in memory per worker for FANZHA_FEEDBACK_CACHE_TTL_S)",
        ),
        Storable,
    ] = None
    label: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="the correct label: a slug or an official Chinese name",
            examples=["rebate_task", "刷单返利类"],
        ),
        AfterValidator(_label_slug),
    ]
    note: Annotated[
        str | None, Field(max_length=1000, description="why, for other analysts"), Storable
    ] = None
    analyst: Annotated[
        str | None, Field(max_length=64, description="who corrected it"), Storable
    ] = None
    sender: Annotated[str | None, Field(max_length=MAX_SENDER_CHARS), Storable] = None
    submission_id: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="client-chosen id of this submission: resending it (after a lost answer) "
        "changes nothing",
    )


class FeedbackEvent(BaseModel):
    label: str
    analyst: str | None
    note: str | None
    created_at: str | None


class FeedbackOut(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    id: int
    text: str
    label: str
    label_zh: str
    note: str | None
    analyst: str | None
    message_id: str | None
    sender: str | None
    served_label: str | None = Field(description="what the service answered, if it knew")
    served_suggestion: str | None
    model_version: str | None
    submissions: int = Field(description="how many times this text was corrected")
    disputed: bool = Field(description="analysts gave this text different labels")
    created_at: str | None
    updated_at: str | None


class FeedbackResponse(BaseModel):
    outcome: Literal["created", "merged", "duplicate"]
    feedback: FeedbackOut


class FeedbackDetail(FeedbackOut):
    history: list[FeedbackEvent]


class FeedbackList(BaseModel):
    total: int
    items: list[FeedbackOut]
    label_counts: dict[str, int]


# --- rules -----------------------------------------------------------------------------------
class RuleDefinition(BaseModel):
    """A rule as stored; `fanzha.rules` checks the meaning (regex, labels, conflicts)."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[
        str | None, Field(max_length=64, description="defaults to the id in the path"), Storable
    ] = None
    kind: Literal["sender_allow", "sender_block", "keyword", "regex"]
    reason: Annotated[str, Field(max_length=500, description="why; shown with every hit"), Storable]
    senders: Annotated[
        list[Annotated[str, Field(max_length=MAX_SENDER_CHARS)] | int] | None,
        Field(max_length=10_000, description="numbers or sender names"),
        Storable,
    ] = None
    keywords: Annotated[
        list[Annotated[str, Field(max_length=200)]] | None, Field(max_length=10_000), Storable
    ] = None
    match: Literal["any", "all"] | None = Field(None, description="keywords: any (default) or all")
    pattern: Annotated[
        str | None, Field(max_length=1000, description="a Python regular expression"), Storable
    ] = None
    match_on: Literal["normalized", "raw"] | None = None
    label: Annotated[str | None, Field(max_length=64), Storable] = None
    suggestion: Literal["pass", "review", "block"] | None = None
    priority: int | None = Field(None, ge=-1000, le=1000, description="higher wins (default 0)")
    enabled: bool | None = None


class RuleChange(BaseModel):
    outcome: Literal["created", "replaced", "deleted"]
    rule: dict[str, Any]
    status: dict[str, Any]


class RulesView(BaseModel):
    rules: list[dict[str, Any]] = Field(description="every rule loaded, file rules first")
    status: dict[str, Any] = Field(description="file, counts, revision, last error")
