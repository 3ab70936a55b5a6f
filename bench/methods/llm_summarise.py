"""Abstractive summary by prompting an LLM: one or two French sentences, length bounded by max_tokens.

Greedy decoding stops at the end of the model's turn (at a blank line for plain-text models) or after
`max_tokens` (model option `summary_max_tokens`, default 96: reference summaries are ~28 words, ~45-60
tokens). Few-shot: `shots` train documents (default 1) with their reference summary, short ones first.
An empty answer stays empty (it scores zero) and is counted invalid.
"""

from __future__ import annotations

import re
from typing import Any

from bench.methods.llm_prompt import LlmMethod, fill
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

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        out = super().fit(train, dev)
        examples = "\n\n".join(fill(self.prompt.require("example"), text=self.clip(item.text),
                                    summary=str(item.target)) for item in self.examples)
        self._template = fill(self.prompt.get("user"), examples=examples)
        self.max_tokens = int(self.spec.options.get("summary_max_tokens", 96))
        return {**out, "shots": self.shots, "max_tokens": self.max_tokens}

    def predict(self, text: str) -> str:
        # A plain-text model goes on with another made-up example after its summary: stop it at the blank
        # line. Chat models end their turn themselves (a stop there could cut a summary opening with one).
        out = self.generate(fill(self._template, text=self.clip(text)), max_tokens=self.max_tokens,
                            stop=None if self.llm.chat else ["\n\n"])
        summary = tidy_summary(out.text)
        if not summary:
            self.invalid_outputs += 1
        return summary
