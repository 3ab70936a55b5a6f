"""Abstractive summary by prompting an LLM: one or two French sentences, length bounded by max_tokens.

Greedy decoding stops at the end of the model's turn (at a blank line for plain-text models) or after
`max_tokens` (model option `summary_max_tokens`, default 96: reference summaries are ~28 words, ~45-60
tokens). Few-shot: `shots` train documents (default 1) with their reference summary, short ones first.
An empty answer stays empty (it scores zero) and is counted invalid.
"""

from __future__ import annotations

import re
from typing import Any

from bench.methods.llm_prompt import LlmMethod
from bench.tasks import Item


def tidy_summary(answer: str) -> str:
    """One paragraph: a repeated answer cue dropped, the first block of text, whitespace collapsed."""
    text = re.sub(r"^\s*\**(résumé|summary)\**\s*:\s*", "", answer, flags=re.IGNORECASE)
    blocks = [block for block in re.split(r"\n\s*\n", text) if block.strip()]
    return re.sub(r"\s+", " ", blocks[0]).strip() if blocks else ""


class LlmSummarise(LlmMethod):
    kinds = frozenset({"summarisation"})
    prompt_name = "llm_summarise"
    example_max_words = 150

    def answer_values(self, item: Item) -> dict[str, str]:
        return {"summary": str(item.target)}

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        out = super().fit(train, dev)
        self.max_tokens = int(self.spec.options.get("summary_max_tokens", 96))
        return {**out, "shots": self.shots, "max_tokens": self.max_tokens}

    def predict(self, text: str) -> str:
        # A plain-text model goes on with another made-up example after its summary: stop it at the blank
        # line. Chat models end their turn themselves (a stop there could cut a summary opening with one).
        out = self.generate(text, max_tokens=self.max_tokens, stop=None if self.llm.chat else ["\n\n"])
        summary = tidy_summary(out.text)
        if not summary:
            self.invalid_outputs += 1
        return summary
