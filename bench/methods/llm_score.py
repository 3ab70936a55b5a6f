"""Routing by scoring every label as the LLM's answer, with examples chosen for the request and a corrected prior.

Per request: the `shots` train mails nearest to the request (TF-IDF cosine, bench.methods.retriever;
the nearest last, next to the request) are shown as earlier turns with their labels; then the
probability of every label as the answer is read from the model's next-token distributions
(bench.methods.label_scores): the system prompt is reused from llama.cpp's cache, the examples and the
mail are evaluated once, and each further read (a prefix shared by several labels) costs one or two
tokens. Nothing is generated, so no label wins by the prior of a first token alone.

The label prior is then divided out (bench.methods.calibration): `calibration: content_free` (default)
measures the model's label distribution on texts that carry no request ("N/A", an empty mail, a bare
greeting), each with examples drawn at random, three requests at fit time; `dev` measures it on
`calibration_items` dev mails, each with its own examples as in a real request (as many requests);
`none` leaves the scores as they are. `calibration_strength` (default 1) scales the correction.

Chosen on 40 held-out classify_mail dev mails with Qwen2.5-Coder-0.5B (the other dev mails for the
dev prior): uncalibrated, the model answers `adil` for 70 % of them with no example, 33 % with one;
accuracy with 0 / 1 / 2 examples is 0.12 / 0.20 / 0.30 uncalibrated, 0.22 / 0.38 / 0.38 with the
content-free prior, 0.28 / 0.32 / 0.35 with the prior of 14 dev mails, and the most frequent answer
falls to 17-25 %. One example costs ~80 prompt tokens per request (214 tokens per mail instead of 133)
and two ~160 (297) for no further gain: `shots` defaults to 1. Model options: `shots` (default 1),
`example_words` (default 40: an example shows its longest paragraphs, the request, up to that many
words: examples cost prompt tokens in every request),
`calibration`, `calibration_items` (default 28), `calibration_strength`, `n_probs` (default 100).
"""

from __future__ import annotations

import random
from typing import Any

from bench.methods.calibration import CONTENT_FREE, Prior, best
from bench.methods.label_scores import LabelScores, score_labels
from bench.methods.llm_prompt import LlmMethod, fill, gist
from bench.methods.retriever import Retriever
from bench.spec.options import LlmScoreOptions, read_options
from bench.spec.tasks import Item


class LlmScore(LlmMethod):
    kinds = frozenset({"classification"})
    prompt_name = "llm_score"
    default_shots = 1
    example_max_words = 40  # examples are clipped (option `example_words`): each costs tokens in every request

    @property
    def labels(self) -> list[str]:
        return sorted(self.task.spec.labels or {})

    def listing(self) -> dict[str, str]:
        descriptions = self.task.spec.labels or {}
        item = self.prompt.require("item")
        return {"labels": "\n".join(fill(item, label=label, description=descriptions[label])
                                    for label in self.labels)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label_mass_total = 0.0  # probability the answers put on labels, summed over predictions
        self.predictions = 0

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        options = read_options(LlmScoreOptions, self.spec.options)
        self.n_probs = options.n_probs
        self.example_words = options.example_words or self.example_max_words
        self.strength = options.calibration_strength
        calibration: str = options.calibration
        out = super().fit(train, dev)  # system prompt; the examples are chosen per request
        self.train = train
        self.retriever = Retriever([item.text for item in train])
        self.answer = self.prompt.require("answer") if self.shots > 0 else ""
        if calibration == "dev" and not dev:
            calibration = "content_free"  # a task without a dev split
        self.prior = self.measure_prior(calibration, dev, options.calibration_items)
        favoured, share = self.prior.dominant()
        return {**out, "shots": self.shots, "examples": "the nearest train mails (TF-IDF cosine), nearest last",
                "scoring": "probability of each label as the answer, from next-token distributions",
                "example_words": self.example_words, "n_probs": self.n_probs, "calibration": calibration,
                "calibration_inputs": self.prior.inputs,
                "calibration_strength": self.strength,
                "prior": {label: round(p, 4) for label, p in self.prior.probabilities.items()},
                "prior_favoured": {"label": favoured, "share": round(share, 4)}}

    def choose_examples(self, train: list[Item]) -> list[Item]:
        return []  # none fixed: `turns_for` picks them for each request

    def turns_for(self, text: str) -> list[tuple[str, str]]:
        nearest = self.retriever.nearest(text, self.shots)
        return [self.example_turn(self.train[index]) for index in reversed(nearest)]

    def example_turn(self, item: Item) -> tuple[str, str]:
        return (self.request(gist(item.text, self.example_words)), fill(self.answer, label=str(item.target)))

    def scores(self, text: str, turns: list[tuple[str, str]]) -> LabelScores:
        def next_tokens(answer_start: str) -> list[tuple[str, float]]:
            return list(self.read_next(text, turns=turns, answer_start=answer_start, n_probs=self.n_probs).top)

        return score_labels({label: label for label in self.labels}, next_tokens)

    def measure_prior(self, calibration: str, dev: list[Item], count: int) -> Prior:
        if calibration == "none":
            return Prior.uniform(self.labels)
        if calibration == "dev":
            sample = random.Random(self.context.seed).sample(dev, min(count, len(dev)))
            return Prior.measure(self.scores(item.text, self.turns_for(item.text)).logprobs for item in sample)
        # Content-free texts, each with examples drawn at random (retrieval has nothing to go on).
        rng = random.Random(self.context.seed)
        rows = []
        for text in CONTENT_FREE:
            examples = rng.sample(self.train, min(self.shots, len(self.train)))
            rows.append(self.scores(text, [self.example_turn(item) for item in examples]).logprobs)
        return Prior.measure(rows)

    def predict(self, text: str) -> str:
        scored = self.scores(text, self.turns_for(text))
        self.tally(label_mass_total=scored.label_mass, predictions=1)
        return best(self.prior.calibrate(scored.logprobs, self.strength))

    def usage(self) -> dict[str, float | int]:
        mean_mass = self.label_mass_total / self.predictions if self.predictions else 0.0
        return {**super().usage(), "label_mass_mean": round(mean_mass, 4)}
