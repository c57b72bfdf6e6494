"""fanzha (反诈): Chinese scam-SMS classification.

This package is the core that training, serving and scoring share, so the three can never
drift apart: the label taxonomy, text normalisation, tokenisation, indicator extraction,
the model-directory format and the ONNX runner. It must never import torch or transformers.
"""

__version__ = "0.1.0"
