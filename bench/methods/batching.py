"""How a method serves the offline scenario: the whole test set at once, batched where the runtime can.

A method states its batching as a `Batching` (recorded in every offline record): `batched` (one forward
over several inputs), `parallel` (several sequences in flight in one runtime) or `serial` (one request
after another, with the reason it cannot do better). Encoders are fed length-sorted batches: padding to
the longest text of a batch then costs little, and the outputs go back to the input order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, TypeVar

import numpy as np

T = TypeVar("T")
Mode = Literal["batched", "parallel", "serial"]
Matrix = np.ndarray[Any, np.dtype[np.float32]]

# Items per forward when the run does not set them, per runtime family (llama.cpp's slots: bench.runtimes).
# Encoders pad to the longest text of a batch, so a moderate batch of sorted texts; scikit-learn and spaCy
# do not pad.
DEFAULT_BATCH = {"encoder": 32, "sklearn": 256, "spacy": 64}


@dataclass(frozen=True)
class Batching:
    mode: Mode
    size: int  # items per forward (batched), sequences in flight (parallel), 1 (serial)
    reason: str  # what the runtime does with a batch, or why it serves one request after another
    sorted_by_length: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def serial(reason: str) -> Batching:
    return Batching("serial", 1, reason)


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    return [items[i:i + size] for i in range(0, len(items), size)]


def length_sorted(texts: Sequence[str], size: int, run: Callable[[list[str]], Matrix]) -> Matrix:
    """`run` over batches of `size` texts sorted by length (dynamic padding), rows back in input order."""
    if not texts:
        raise ValueError("nothing to embed")
    order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
    parts = [run([texts[i] for i in batch]) for batch in chunks(order, size)]
    stacked = np.vstack(parts)
    out: Matrix = np.empty_like(stacked)
    out[np.asarray(order)] = stacked
    return out


def one_forward(encoder: Any) -> Callable[[list[str]], Matrix] | None:
    """The encoder's forward over a whole batch at once, when its runtime has one (else None)."""
    forward = getattr(encoder, "embed_batch", None)
    return forward if callable(forward) else None


def encoder_batching(encoder: Any, size: int | None) -> Batching:
    if one_forward(encoder) is None:
        return serial(f"runtime of {type(encoder).__name__} has no padded batch forward here: "
                      "requests are embedded one after another")
    size = size or DEFAULT_BATCH["encoder"]
    return Batching("batched", size, f"one padded forward per {size} texts sorted by length (attention-masked)",
                    sorted_by_length=True)


def embed_texts(encoder: Any, texts: Sequence[str], plan: Batching) -> Matrix:
    """Embeddings of `texts`: padded length-sorted batches when `plan` batches, else one text per forward."""
    forward = one_forward(encoder)
    if plan.mode == "batched" and forward is not None:
        return length_sorted(texts, plan.size, forward)
    out: Matrix = np.vstack([encoder.embed([text]) for text in texts]).astype(np.float32)
    return out
