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
