"""Text normalisation shared by methods that must behave the same in scikit-learn and in ONNX."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lowercase and strip accents.

    Done in Python because onnxruntime's StringNormalizer needs an installed locale and its regex
    tokenizer (re2) treats \\w as ASCII: folding first makes both sides see the same tokens.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
