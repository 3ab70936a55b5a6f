"""Score every label as the model's answer, from next-token distributions instead of generated text.

The probability that the answer is label `l` is the mass of the token paths that spell `l`. The first request
reads the distribution of the answer's first token (its `n_probs` most probable tokens, from the model's own
distribution over the whole vocabulary). A token belongs to a label when the answer so far (opening spaces,
quotes or markup and case aside) is the beginning of that label, or the whole label followed by a space, a
newline or punctuation. A token that fits exactly one label gives that label its mass: once the answer can
only be that label, the rest of it is taken as said (the labels are listed in the prompt). A token that fits
several labels ("c" for caf, cfe and cpam) is written as the start of the answer and the next token is read,
and so on: a few requests, each evaluating one or two new tokens after the cached prompt.

Every path is read, whichever way the model tokenises a label ("caf", " caf", "CAF", "c"+"af"), so no
tokeniser is needed and no tokenisation is imposed. Ambiguous prefixes too unlikely to matter (`min_expand`),
or beyond `max_requests`, share their mass equally among their labels. A label absent from every distribution
read gets the smallest log-probability seen (an upper bound of its own).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# answer start -> the most probable next tokens, (text, log-probability)
NextTokens = Callable[[str], Sequence[tuple[str, float]]]


@dataclass(frozen=True)
class LabelScores:
    logprobs: dict[str, float]  # label -> log P(the answer is this label), not normalised over labels
    requests: int  # next-token distributions read
    unseen: int  # labels absent from every distribution read (given the floor)
    label_mass: float  # total probability of the answers that are labels (the rest is other text)


LEAD = " \t\n\"'`*«"  # what may open an answer before the label itself


def normalised(text: str) -> str:
    return text.casefold()


def fits(answer: str, form: str) -> bool:
    """`answer` (normalised) is the beginning of `form`, or `form` followed by a non-word character."""
    if form.startswith(answer):
        return True
    return answer.startswith(form) and not (answer[len(form)].isalnum() or answer[len(form)] == "_")


def score_labels(forms: dict[str, str], next_tokens: NextTokens, *, min_expand: float = 1e-3,
                 max_requests: int = 8) -> LabelScores:
    """`forms`: label -> how the answer writes it (its id, or a short verbal form)."""
    wanted = {label: normalised(form.strip()) for label, form in forms.items()}
    mass: dict[str, float] = {}
    queue: list[tuple[str, float, list[str]]] = [("", 0.0, list(wanted))]  # answer start, its logp, labels
    requests = 0
    floor: float | None = None
    while queue:
        queue.sort(key=lambda node: -node[1])  # most probable prefixes first, if the budget runs out
        start, start_lp, candidates = queue.pop(0)
        if requests >= max_requests or math.exp(start_lp) < min_expand:
            _share(mass, candidates, start_lp)
            continue
        top = next_tokens(start)
        requests += 1
        if floor is None:  # no unseen label's first token is more probable than the root's least one
            if not top:
                raise ValueError("the runtime returned no next-token probabilities")
            floor = min(lp for _, lp in top)
        said = normalised(start.lstrip(LEAD))
        for text, lp in top:
            if not text:  # the end of the answer: the label it already spells in full, if any
                for label in candidates:
                    if said and wanted[label] == said:
                        _add(mass, label, start_lp + lp)
                continue
            answer = normalised((start + text).lstrip(LEAD))
            fitting = [label for label in candidates if fits(answer, wanted[label])] if answer else candidates
            if len(fitting) == 1:
                _add(mass, fitting[0], start_lp + lp)
            elif fitting:
                queue.append((start + text, start_lp + lp, fitting))
    label_mass = sum(math.exp(value) for value in mass.values())
    unseen = sum(label not in mass for label in wanted)
    logprobs = {label: mass.get(label, floor if floor is not None else -math.inf) for label in wanted}
    return LabelScores(logprobs, requests, unseen, label_mass)


def _add(mass: dict[str, float], label: str, logp: float) -> None:
    mass[label] = _logaddexp(mass[label], logp) if label in mass else logp


def _share(mass: dict[str, float], labels: list[str], logp: float) -> None:
    for label in labels:
        _add(mass, label, logp - math.log(len(labels)))


def _logaddexp(a: float, b: float) -> float:
    high, low = max(a, b), min(a, b)
    return high + math.log1p(math.exp(low - high))
