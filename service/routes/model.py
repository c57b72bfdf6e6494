"""GET /v1/model: what is being served, with the evaluation metrics from its card."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from fanzha.taxonomy import is_scam, label_zh
from service.responses import JsonResponse, error_responses, get_service
from service.schemas import ModelInfo

router = APIRouter(tags=["model"])


@router.get(
    "/v1/model",
    response_model=ModelInfo,
    responses=error_responses(401, 503),
    summary="The model being served",
)
async def model_info(request: Request) -> Response:
    loaded = get_service(request).holder.current
    classifier = loaded.classifier
    card = classifier.model_dir.card
    labels = [{"slug": s, "zh": label_zh(s), "is_scam": is_scam(s)} for s in classifier.labels]
    return JsonResponse(
        {
            "version": loaded.version,
            "labels": labels,
            "thresholds": {
                "review": classifier.thresholds.review,
                "block": classifier.thresholds.block,
            },
            "max_length": classifier.model_dir.config.encoding.max_length,
            "loaded_at": loaded.loaded_at,
            "metrics": card.get("evaluation", card.get("metrics", {})),
        }
    )
