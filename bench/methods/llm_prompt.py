"""What the LLM methods share: prompt files next to the task, few-shot picking, usage totals.

A prompt file is `tasks/<task>/prompts/<method>.txt` (or `<method>.<model id>.txt` to override it for
one model); a task that ships none gets the method's default, `bench/methods/prompts/<method>.txt`.
Lines before the first section header are comments. Sections start with `=== name ===`:
- `system`: the instructions, with `{labels}` or `{fields}` (one `item` each) where the method lists them;
- `item`: how one label (`{label}`, `{description}`) or field (`{name}`, `{type}`, `{description}`) reads;
- `user`: one request, ending with `{text}` (a short answer cue like "Service :" may follow);
- `answer`: the answer to a few-shot example (`{label}`, `{fields}` or `{summary}`);
- `keys`: extraction only, the short key of each field in the answer, one `field: key` line each.
Few-shot examples are earlier turns of the conversation (`user` with the example's text, then `answer`);
plain-text models get them as paragraphs. With fixed examples, everything before the last request is the
same for every request, so llama.cpp evaluates only the new text; examples chosen per request are
evaluated with it. Placeholders are replaced by name only, so JSON
braces in a prompt are left alone.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from bench.methods import Method, MethodContext
from bench.methods.batching import Batching, serial
from bench.runtimes.llamacpp import Generation, LlamaCppModel
from bench.spec.config import ModelSpec
from bench.spec.errors import ConfigError
from bench.spec.options import PromptOptions, read_options
from bench.spec.tasks import Item, Task

SECTION = re.compile(r"^=== *([a-z]+) *===[ \t]*$", re.MULTILINE)
SECTIONS = ("system", "item", "user", "answer", "keys")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class PromptFile:
    path: Path
    sha256: str
    sections: dict[str, str]

    @classmethod
    def read(cls, path: Path) -> PromptFile:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        headers = list(SECTION.finditer(text))
        sections: dict[str, str] = {}
        for index, header in enumerate(headers):
            end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
            name = header.group(1)
            if name not in SECTIONS:
                line = text.count("\n", 0, header.start()) + 1
                raise ConfigError(path, line, None, f"unknown section '{name}' (known: {list(SECTIONS)})")
            sections[name] = text[header.end():end].strip("\n")
        for name in ("system", "user"):
            if name not in sections:
                raise ConfigError(path, None, None, f"a prompt file needs a '=== {name} ===' section")
        tail = sections["user"].split("{text}")[-1]
        if "{text}" not in sections["user"] or PLACEHOLDER.search(tail) or len(tail) > 80:
            raise ConfigError(path, None, None, "the 'user' section must end with {text} (a short answer cue "
                              "like 'Service :' may follow): the shared prefix is what llama.cpp reuses")
        return cls(path, hashlib.sha256(raw).hexdigest(), sections)

    def get(self, name: str, default: str = "") -> str:
        return self.sections.get(name, default)

    def require(self, name: str) -> str:
        if name not in self.sections:
            raise ConfigError(self.path, None, None, f"this method needs a '=== {name} ===' section")
        return self.sections[name]


def fill(template: str, **values: str) -> str:
    """Replace `{name}` for the names given; any other brace stays as written."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


DEFAULT_PROMPTS = Path(__file__).parent / "prompts"  # for tasks that ship no prompt of their own


def find_prompt(task: Task, method: str, model_id: str) -> Path:
    folder = task.directory / "prompts"
    for path in (folder / f"{method}.{model_id}.txt", folder / f"{method}.txt", DEFAULT_PROMPTS / f"{method}.txt"):
        if path.is_file():
            return path
    raise ConfigError(folder / f"{method}.txt", None, None, f"prompt file for method '{method}' not found")


def clip_words(text: str, limit: int) -> str:
    """The text cut after `limit` words, line breaks kept (they carry a letter's structure)."""
    words = list(re.finditer(r"\S+", text))
    if len(words) <= limit:
        return text
    return text[:words[limit - 1].end()] + " […]"


def gist(text: str, limit: int) -> str:
    """At most `limit` words of a text, its longest paragraphs first (kept in their order), then clipped.

    A mail's longest paragraph is usually its request; the address block, greeting and signature go first.
    """
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    kept: set[int] = set()
    count = 0
    for index in sorted(range(len(paragraphs)), key=lambda i: (-len(paragraphs[i].split()), i)):
        if count >= limit:
            break
        kept.add(index)
        count += len(paragraphs[index].split())
    return clip_words("\n\n".join(paragraphs[i] for i in sorted(kept)), limit)


def pick_examples(items: list[Item], count: int, *, max_words: int, seed: int) -> list[Item]:
    """`count` items drawn with a fixed seed, short ones first (they keep the cached prompt prefix small)."""
    if count <= 0 or not items:
        return []
    short = [item for item in items if len(item.text.split()) <= max_words]
    pool = short if len(short) >= count else sorted(items, key=lambda item: (len(item.text.split()), item.id))
    if pool is short:
        return random.Random(seed).sample(pool, count)
    return pool[:count]


class LlmMethod(Method):
    """Prompt a llama.cpp model; keep token and timing totals so a cell can report tokens/s."""

    prompt_name: ClassVar[str]  # the prompt file's stem, by convention the method's registry name
    default_shots: ClassVar[int] = 1
    example_max_words: ClassVar[int] = 60

    def __init__(self, model: Any, spec: ModelSpec, task: Task, context: MethodContext) -> None:
        super().__init__(model, spec, task, context)
        if not isinstance(model, LlamaCppModel):
            raise ValueError(f"method '{self.prompt_name}' needs a llama.cpp model, got {type(model).__name__}")
        self.llm: LlamaCppModel = model
        self.prompt = PromptFile.read(find_prompt(task, self.prompt_name, spec.id))
        options = read_options(PromptOptions, spec.options)
        self.shots = self.default_shots if options.shots is None else options.shots
        self.max_input_words = options.max_input_words
        self.examples: list[Item] = []
        self.system = ""  # rendered by `fit`: instructions with the task's labels or fields
        self.turns: list[tuple[str, str]] = []  # few-shot (request, answer) pairs, rendered by `fit`
        # Running totals over every request (warm-up included): tokens/s = tokens_out / generation_ms.
        self.requests = 0
        self.tokens_in = 0
        self.cached_tokens = 0
        self.tokens_out = 0
        self.prompt_ms = 0.0
        self.generation_ms = 0.0
        self.invalid_outputs = 0  # outputs that did not parse and were replaced by the fallback
        self.truncated_outputs = 0  # generations stopped by max_tokens
        self.distributions_read = 0  # next-token distributions read without generating (answer scoring)
        self._tally_lock = threading.Lock()  # requests in flight on several slots update the totals

    def tally(self, **increments: float) -> None:
        """Add to running totals; safe from the threads that keep several llama.cpp slots busy."""
        with self._tally_lock:
            for name, value in increments.items():
                setattr(self, name, getattr(self, name) + value)

    def batching(self, size: int | None) -> Batching:
        slots = self.llm.n_parallel
        if slots <= 1:
            return serial("llama.cpp was loaded with one slot: requests are decoded one after another")
        return Batching("parallel", slots, f"{slots} llama.cpp slots decode together (continuous batching), "
                        f"each with a KV cache of {self.llm.n_ctx} tokens")

    def predict_batch(self, texts: list[str], plan: Batching) -> Sequence[Any]:
        """Up to `plan.size` requests in flight: the server batches their tokens into shared forwards."""
        if plan.mode != "parallel":
            return super().predict_batch(texts, plan)
        slots = itertools.count()  # each worker thread keeps one slot, and that slot's cached prompt
        with ThreadPoolExecutor(max_workers=plan.size, thread_name_prefix="slot",
                                initializer=lambda: self.llm.pin_slot(next(slots))) as pool:
            return list(pool.map(self.predict, texts))

    def choose_examples(self, train: list[Item]) -> list[Item]:
        return pick_examples(train, self.shots, max_words=self.example_max_words, seed=self.context.seed)

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        """No weights to learn: pick the few-shot examples from the train split (never test)."""
        self.examples = self.choose_examples(train)
        self.system = fill(self.prompt.get("system"), **self.listing())
        answer = self.prompt.require("answer") if self.examples else ""
        self.turns = [(self.request(item.text), fill(answer, **self.answer_values(item)))
                      for item in self.examples]
        return self.description()

    def listing(self) -> dict[str, str]:
        """Values of the system prompt's placeholders (the task's labels or fields)."""
        return {}

    def answer_values(self, item: Item) -> dict[str, str]:
        """Values of the `answer` placeholders for a few-shot example."""
        return {}

    def request(self, text: str) -> str:
        return fill(self.prompt.get("user"), text=self.clip(text))

    def description(self) -> dict[str, Any]:
        return {"prompt_file": self._relative(self.prompt.path), "prompt_sha256": self.prompt.sha256,
                "few_shot_examples": [item.id for item in self.examples], "chat_template": self.llm.chat,
                "n_ctx": self.llm.n_ctx, "decoding": "greedy (temperature 0)"}

    def _relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.task.directory))
        except ValueError:
            return str(path)

    def generate(self, text: str, *, max_tokens: int, grammar: str | None = None, stop: list[str] | None = None,
                 turns: list[tuple[str, str]] | None = None) -> Generation:
        """Generate the answer to one request; `turns` replaces the fixed few-shot turns (examples per request)."""
        out = self.llm.generate(self.request(text), system=self.system or None,
                                examples=self.turns if turns is None else turns,
                                max_tokens=max_tokens, grammar=grammar, stop=stop)
        self._count(out)
        self.tally(tokens_out=out.completion_tokens, generation_ms=out.generation_ms,
                   truncated_outputs=int(out.finish_reason == "length"))
        return out

    def read_next(self, text: str, *, turns: list[tuple[str, str]] | None = None, answer_start: str = "",
                  n_probs: int = 100) -> Generation:
        """The distribution of the answer's next token (after `answer_start`): nothing is generated.

        Counted as prompt work only: the one token llama.cpp samples to return the distribution is not text
        the method produces, so it stays out of the generated-token figures.
        """
        out = self.llm.next_tokens(self.request(text), system=self.system or None,
                                   examples=self.turns if turns is None else turns,
                                   answer_start=answer_start, n_probs=n_probs)
        self._count(out)
        self.tally(distributions_read=1)
        return out

    def _count(self, out: Generation) -> None:
        self.tally(requests=1, tokens_in=out.prompt_tokens, cached_tokens=out.cached_tokens, prompt_ms=out.prompt_ms)

    def clip(self, text: str) -> str:
        return clip_words(text, self.max_input_words)

    def usage(self) -> dict[str, float | int]:
        """Totals for the record: tokens in/out, prompt reuse, and throughput as llama.cpp timed it."""
        evaluated = self.tokens_in - self.cached_tokens
        return {
            "requests": self.requests, "tokens_in": self.tokens_in, "tokens_in_cached": self.cached_tokens,
            "tokens_out": self.tokens_out, "invalid_outputs": self.invalid_outputs,
            "truncated_outputs": self.truncated_outputs, "distributions_read": self.distributions_read,
            "prompt_tokens_per_s": evaluated * 1000.0 / self.prompt_ms if self.prompt_ms else 0.0,
            "generation_tokens_per_s": self.tokens_out * 1000.0 / self.generation_ms if self.generation_ms else 0.0,
        }


def gbnf_literal(text: str) -> str:
    """A GBNF string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
