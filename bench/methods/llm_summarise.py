"""Abstractive summary by prompting an LLM, within the task's length budget, every cut counted.

The task's `length_budget_words` (60 when it states none) is given to the model (`{budget}` in the
prompt) and bounds the generation: `max_tokens` is the budget times `tokens_per_word` (model option,
default 2.2: French costs small tokenisers about two tokens a word) plus a margin, so a model that runs
on is stopped soon after the budget rather than at an arbitrary count. Greedy decoding stops at the end
of the model's turn (at a blank line for plain-text models). Few-shot: `shots` train documents (default
1) with their reference summary, short ones first.

A summary that is still too long, or was stopped by `max_tokens` in the middle of a sentence, is cut
back to its last complete sentence within the budget (to the budget itself when no sentence ends
within it). Nothing is cut silently: `truncated_outputs` counts the generations stopped by
`max_tokens`, `trimmed_outputs` the summaries cut back; an empty answer stays empty (it scores zero)
and is counted invalid.
"""

from __future__ import annotations

import math
import re
from typing import Any

from bench.methods.llm_prompt import LlmMethod, fill
from bench.spec.options import LlmSummariseOptions, read_options
from bench.spec.tasks import Item

DEFAULT_BUDGET = 60
SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")


def tidy_summary(answer: str) -> str:
    """One paragraph: a repeated answer cue dropped, the first block of text, whitespace collapsed."""
    text = re.sub(r"^\s*\**(résumé|summary)\**\s*:\s*", "", answer, flags=re.IGNORECASE)
    blocks = [block for block in re.split(r"\n\s*\n", text) if block.strip()]
    return re.sub(r"\s+", " ", blocks[0]).strip() if blocks else ""


def within_budget(summary: str, budget: int, *, cut_off: bool = False) -> str:
    """The summary if it ends a sentence within `budget` words; else cut to its last sentence that does.

    `cut_off`: the generation was stopped mid-way, so a trailing unfinished sentence goes too.
    """
    words = summary.split()
    if len(words) <= budget and not cut_off:
        return summary
    head = " ".join(words[:budget])
    ends = [match.end() for match in SENTENCE_END.finditer(head)]
    if ends:
        return head[:ends[-1]]
    return head if len(words) > budget else summary  # no sentence end: keep the words within the budget


class LlmSummarise(LlmMethod):
    kinds = frozenset({"summarisation"})
    prompt_name = "llm_summarise"
    example_max_words = 150

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = self.task.spec.length_budget_words or DEFAULT_BUDGET
        self.trimmed_outputs = 0  # summaries cut back to end within the budget

    def listing(self) -> dict[str, str]:
        return {"budget": str(self.budget)}

    def answer_values(self, item: Item) -> dict[str, str]:
        return {"summary": str(item.target)}

    def request(self, text: str) -> str:
        return fill(super().request(text), budget=str(self.budget))

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        out = super().fit(train, dev)
        options = read_options(LlmSummariseOptions, self.spec.options)
        self.max_tokens = options.summary_max_tokens or math.ceil(self.budget * options.tokens_per_word) + 8
        return {**out, "shots": self.shots, "length_budget_words": self.budget, "max_tokens": self.max_tokens,
                "cut": "a summary over the budget or stopped by max_tokens is cut back to its last sentence "
                       "within the budget (counted in trimmed_outputs)"}

    def predict(self, text: str) -> str:
        # A plain-text model goes on with another made-up example after its summary: stop it at the blank
        # line. Chat models end their turn themselves (a stop there could cut a summary opening with one).
        out = self.generate(text, max_tokens=self.max_tokens, stop=None if self.llm.chat else ["\n\n"])
        summary = tidy_summary(out.text)
        cut = within_budget(summary, self.budget, cut_off=out.finish_reason == "length")
        if cut != summary:
            self.tally(trimmed_outputs=1)
        if not cut:
            self.tally(invalid_outputs=1)
        return cut

    def usage(self) -> dict[str, float | int]:
        return {**super().usage(), "trimmed_outputs": self.trimmed_outputs, "length_budget_words": self.budget}
