"""One module per label family; `SCHEMES` maps each taxonomy slug to its scheme."""

from __future__ import annotations

from training.corpus.compose import Scheme
from training.corpus.schemes import (
    acquaintance,
    authority,
    customer_service,
    gambling_porn,
    game_trade,
    investment,
    loan_credit,
    marketing,
    normal,
    phishing_prize,
    rebate_task,
    romance,
    shopping,
)

SCHEMES: dict[str, Scheme] = {
    module.SCHEME.label: module.SCHEME
    for module in (
        normal,
        marketing,
        rebate_task,
        investment,
        loan_credit,
        customer_service,
        authority,
        acquaintance,
        shopping,
        game_trade,
        romance,
        phishing_prize,
        gambling_porn,
    )
}
