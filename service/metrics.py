"""Prometheus metrics of one service process.

Each app gets its own registry, so several apps (tests) never collide. With several workers,
set PROMETHEUS_MULTIPROC_DIR to an empty directory before starting: prometheus_client then keeps
values in files there and /metrics sums them across workers.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from service.batching import BatchReport

LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
TOKEN_BUCKETS = (64, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter(
            "fanzha_http_requests",
            "HTTP requests by route and status",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "fanzha_http_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_time = Histogram(
            "fanzha_queue_seconds",
            "time a classify request waited for its first batch",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.inference_time = Histogram(
            "fanzha_inference_seconds", "model time per batch", buckets=LATENCY_BUCKETS, registry=r
        )
        self.batch_size = Histogram(
            "fanzha_batch_size", "messages per model batch", buckets=SIZE_BUCKETS, registry=r
        )
        self.batch_tokens = Histogram(
            "fanzha_batch_tokens",
            "padded tokens per model batch (size x longest)",
            buckets=TOKEN_BUCKETS,
            registry=r,
        )
        self.padding = Counter("fanzha_padding_tokens", "tokens spent on padding", registry=r)
        self.queue_depth = Gauge(
            "fanzha_queue_depth",
            "messages waiting for a batch",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.messages = Counter("fanzha_messages", "messages classified", ["truncated"], registry=r)
        self.predictions = Counter(
            "fanzha_predictions",
            "predictions by label and suggestion",
            ["label", "suggestion"],
            registry=r,
        )
        self.rejected = Counter(
            "fanzha_rejected_requests", "requests refused before scoring", ["reason"], registry=r
        )
        self.model_info = Gauge(
            "fanzha_model_info",
            "the model version being served",
            ["version"],
            registry=r,
            multiprocess_mode="liveall",
        )
        self.reloads = Counter(
            "fanzha_model_reloads", "model reload attempts", ["outcome"], registry=r
        )

    def observe_batch(self, report: BatchReport) -> None:
        self.inference_time.observe(report.seconds)
        self.batch_size.observe(report.size)
        self.batch_tokens.observe(report.padded_tokens)
        self.padding.inc(report.padded_tokens - report.real_tokens)

    def observe_http(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def set_model(self, version: str, previous: str | None) -> None:
        if previous is not None and previous != version:
            self.model_info.remove(previous)
        self.model_info.labels(version).set(1)

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
