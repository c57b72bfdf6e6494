"""The built-in labelled training corpus: seeded, balanced, deduplicated synthetic SMS.

No public data set can be fetched, so the default model learns from messages composed here
from interchangeable, slot-filled pieces written per label (see `schemes/`).
"""

from training.corpus.generate import CorpusExhaustedError, corpus_fingerprint, generate_corpus

__all__ = ["CorpusExhaustedError", "corpus_fingerprint", "generate_corpus"]
