"""Small wording helpers shared by findings and attribution sentences, so they read the same everywhere."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["join_words", "plural"]


def plural(n: int, word: str) -> str:
    """``1 key``, ``2 keys``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def join_words(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
