"""Measured messages/s restated as the workloads the design names: a county anti-fraud centre
(500+ alerts a day) and a city centre (2,000+ a day)."""

from __future__ import annotations

COUNTY_PER_DAY = 500
CITY_PER_DAY = 2000
SECONDS_PER_DAY = 86_400


def capacity(msgs_per_s: float) -> dict[str, float]:
    per_day = msgs_per_s * SECONDS_PER_DAY
    return {
        "msgs_per_s": round(msgs_per_s, 1),
        "msgs_per_day": round(per_day),
        "x_county": round(per_day / COUNTY_PER_DAY),
        "x_city": round(per_day / CITY_PER_DAY),
    }


def statement(msgs_per_s: float, how: str) -> str:
    c = capacity(msgs_per_s)
    return (
        f"{how}: {c['msgs_per_s']:,.0f} messages/s = {c['msgs_per_day']:,.0f} messages/day "
        f"= {c['x_county']:,.0f}x a county centre (500/day), {c['x_city']:,.0f}x a city "
        f"centre (2,000/day)"
    )
