"""Field extraction by prompting an LLM for a JSON object constrained to the task's fields.

The grammar is the compact form of the JSON schema {"type": "object", "properties": {<field>:
{"type": ["string", "null"], "maxLength": 120}}, "required": [every field]}, with the keys in the task's
order and one space after ':' and ','. Forcing the layout spares the tokens a free-whitespace schema lets
small models waste, and every answer parses. Few-shot: `shots` train documents (default 1) with their gold
fields. An answer that does not parse (truncated by max_tokens) gives all fields null, counted invalid.
"""

from __future__ import annotations

import json
from typing import Any

from bench.methods.llm_prompt import LlmMethod, fill, gbnf_literal
from bench.tasks import Item

MAX_VALUE_CHARS = 120


def fields_grammar(names: list[str]) -> str:
    members = ' ", " '.join(f'{gbnf_literal(json.dumps(name) + ": ")} value' for name in names)
    return "\n".join([
        f'root ::= "{{" {members} "}}"',
        f'value ::= "null" | "\\"" char{{0,{MAX_VALUE_CHARS}}} "\\""',
        'char ::= [^"\\\\\\x00-\\x1f] | "\\\\" ["\\\\/bfnrt]',
    ])


def parse_fields(answer: str, names: list[str]) -> dict[str, str | None] | None:
    """The fields of a JSON answer (null or empty -> None; other scalars as text); None when not JSON."""
    start, end = answer.find("{"), answer.rfind("}")
    if start < 0 or end < start:
        return None
    try:
        value = json.loads(answer[start:end + 1])
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    out: dict[str, str | None] = {}
    for name in names:
        raw = value.get(name)
        out[name] = None if raw is None or (isinstance(raw, str) and not raw.strip()) else str(raw).strip()
    return out


class LlmExtract(LlmMethod):
    kinds = frozenset({"extraction"})
    prompt_name = "llm_extract"
    example_max_words = 250  # documents are longer than mails; one example is enough to show the format

    @property
    def names(self) -> list[str]:
        return [field.name for field in self.task.spec.fields or []]

    def listing(self) -> dict[str, str]:
        item = self.prompt.require("item")
        return {"fields": "\n".join(fill(item, name=f.name, type=f.type, description=f.description)
                                    for f in self.task.spec.fields or [])}

    def answer_values(self, item: Item) -> dict[str, str]:
        target = item.target if isinstance(item.target, dict) else {}
        return {"fields": json.dumps({name: target.get(name) for name in self.names}, ensure_ascii=False)}

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        out = super().fit(train, dev)
        self.grammar = fields_grammar(self.names)
        # Every key and its punctuation, plus room for the values actually expected (most are short or null).
        self.max_tokens = int(self.spec.options.get("max_tokens", 16 + 24 * len(self.names)))
        return {**out, "shots": self.shots, "max_tokens": self.max_tokens,
                "constraint": "grammar: JSON object, every field string|null, fixed key order"}

    def predict(self, text: str) -> dict[str, str | None]:
        out = self.generate(text, max_tokens=self.max_tokens, grammar=self.grammar)
        fields = parse_fields(out.text, self.names)
        if fields is None:
            self.invalid_outputs += 1
            return dict.fromkeys(self.names)
        return fields
