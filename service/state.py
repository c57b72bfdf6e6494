"""The service's parts and their life cycle: start (load + warm the model, start the batcher),
reload (model and key file), and stop (readiness down, queue drained).

Signals, when the app runs in the main thread of its process:
- SIGHUP reloads the model directory and the key file in place.
- SIGTERM / SIGINT first turn /readyz to 503, wait `shutdown_delay_s` so load balancers stop
  sending, then hand over to uvicorn, which stops accepting, lets requests in flight finish and
  runs the lifespan shutdown, where the batcher drains its queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import signal
import sys
import threading
from pathlib import Path
from typing import Any, Literal

from service.auth import KeyStore
from service.batching import Batcher
from service.logs import MessageHasher
from service.metrics import Metrics
from service.models import LoadedModel, ModelHolder, ModelRejected, RuntimeOptions
from service.scoring import Scorer
from service.settings import Settings

log = logging.getLogger(__name__)

Phase = Literal["loading", "ready", "draining"]


class ServiceState:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.keys = KeyStore(
            (k.get_secret_value() for k in settings.api_keys), settings.api_keys_file
        )
        self.holder = ModelHolder(
            settings.model_dir,
            RuntimeOptions(
                threads=settings.intra_op_threads(),
                allow_spinning=settings.allow_spinning(),
                review_threshold=settings.review_threshold,
                block_threshold=settings.block_threshold,
            ),
        )
        self.batcher = Batcher(
            max_batch_size=settings.max_batch_size,
            max_batch_tokens=settings.max_batch_tokens,
            max_wait_s=settings.max_wait_ms / 1000,
            max_queue=settings.max_queue,
            concurrency=settings.concurrent_batches(),
            priority_messages=settings.priority_messages,
            fill_window_s=settings.fill_window_ms / 1000,
            inference_nice=settings.inference_nice,
            queue_share=settings.queue_share,
            spread=settings.parallel_batches(),
            on_batch=self.metrics.observe_batch,
        )
        key = settings.log_hash_key.get_secret_value().encode() if settings.log_hash_key else None
        self.scorer = Scorer(
            self.holder, self.batcher, self.metrics, MessageHasher(key), settings.log_messages
        )
        self.phase: Phase = "loading"
        self._previous_handlers: dict[int, Any] = {}
        self._reload_task: asyncio.Task[None] | None = None
        self._switch_interval = sys.getswitchinterval()  # restored at stop

    # --- life cycle ------------------------------------------------------------------------
    async def start(self) -> None:
        _, loaded = await self.holder.reload()
        self.metrics.set_model(loaded.version, None)
        await self.batcher.start()
        self._install_signals()
        self._freeze_heap()
        sys.setswitchinterval(self.settings.switch_interval_ms / 1000)
        self.phase = "ready"
        log.info(
            "service ready",
            extra={
                "event": "ready",
                "model_version": loaded.version,
                "workers": self.settings.workers,
                "intra_op_threads": self.holder.options.threads,
                "concurrent_batches": self.batcher.concurrency,
                "spread_batches": self.batcher.spread,
                "spinning": self.holder.options.allow_spinning,
                "auth": self.keys.enabled,
            },
        )

    async def stop(self) -> None:
        self.phase = "draining"
        stats = self.batcher.stats()
        log.info("draining", extra={"event": "draining", "queued": stats.queued})
        await self.batcher.stop(self.settings.graceful_timeout_s)
        self._restore_signals()
        if self.settings.gc_freeze:
            gc.unfreeze()  # a host process that embeds the app gets its collector back
        sys.setswitchinterval(self._switch_interval)
        log.info("stopped", extra={"event": "stopped", "batches": self.batcher.stats().batches})

    def retry_after(self) -> int:
        """Seconds a refused client should wait: the configured minimum, or longer if the
        queue needs longer to clear at the rate seen under load."""
        return max(self.settings.retry_after_s, math.ceil(self.batcher.expected_wait()))

    def begin_drain(self) -> None:
        self.phase = "draining"

    # --- reload ----------------------------------------------------------------------------
    async def reload(self, path: Path | None = None) -> tuple[LoadedModel | None, LoadedModel]:
        """Swap in a new model; raises ModelRejected and keeps the old one on failure."""
        self.keys.reload()
        try:
            previous, loaded = await self.holder.reload(path)
        except ModelRejected:
            self.metrics.reloads.labels("rejected").inc()
            raise
        self.metrics.reloads.labels("loaded").inc()
        self.metrics.set_model(loaded.version, previous.version if previous else None)
        self._freeze_heap()
        return previous, loaded

    def _freeze_heap(self) -> None:
        """Long-lived objects (model, tokenizer, app) out of the cyclic collector, so its full
        collections scan only what requests allocate (see Settings.gc_freeze). Reference
        counting still frees them, e.g. the old model after a reload."""
        if self.settings.gc_freeze:
            gc.collect()
            gc.freeze()

    async def _reload_from_signal(self) -> None:
        with contextlib.suppress(ModelRejected):  # already logged; the old model keeps serving
            await self.reload()

    # --- signals ---------------------------------------------------------------------------
    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # embedded (tests, another server): the host owns the signals
        loop = asyncio.get_running_loop()
        if self.settings.reload_on_sighup:
            loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(sig)
            if callable(previous):
                self._previous_handlers[sig] = previous
                signal.signal(sig, self._on_exit_signal)

    def _restore_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)
        self._previous_handlers.clear()

    def _on_sighup(self) -> None:
        log.info("SIGHUP: reloading the model", extra={"event": "sighup"})
        if self._reload_task is None or self._reload_task.done():
            self._reload_task = asyncio.create_task(self._reload_from_signal())

    def _on_exit_signal(self, sig: int, frame: Any) -> None:
        """Readiness down first; uvicorn's own handler (stop accepting, finish, exit) after
        the configured delay. A second signal goes straight through."""
        handler = self._previous_handlers.get(sig)
        if handler is None:
            return
        first = self.phase != "draining"
        self.begin_drain()
        delay = self.settings.shutdown_delay_s if first else 0.0
        log.info("shutdown signal", extra={"event": "signal", "signal": sig, "delay_s": delay})
        if delay > 0:
            timer = threading.Timer(delay, handler, (sig, frame))
            timer.daemon = True
            timer.start()
        else:
            handler(sig, frame)
