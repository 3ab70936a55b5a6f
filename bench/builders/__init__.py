"""Builders that regenerate the shipped task data from pinned public sources with a fixed seed.

`python -m bench.builders [all|classify_mail|summarise_notes|extract_forms] [--seed N]`
"""

from bench.builders.common import DEFAULT_SEED, jsonl_bytes

__all__ = ["DEFAULT_SEED", "jsonl_bytes"]
