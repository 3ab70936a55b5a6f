"""Field extraction by prompting an LLM for a compact JSON object: only the fields found, under short keys.

Every generated token costs a decoding step, forced or not, so the answer holds only what the document
gives: `{"nom": "Martin", "cp": "75011"}`, short keys from the prompt file's `keys` section (one
`field: key` line each; without it the field names), no null fields, and generation stops at the closing
brace. A field the answer does not give is null. Few-shot: `shots` train documents (default 1) with
their gold fields in that form, in the cached prompt prefix.

`constraint` (model option): `none` (default) lets the model write freely and parses what it wrote; an
answer that gives no field (no JSON object found) counts in `invalid_outputs`. `grammar` constrains the
answer to that JSON form with a GBNF grammar (known keys, string values of at most 120 characters), at
the cost of checking the grammar at every generated token. `max_tokens` (default 12 per field + 16)
bounds the answer; a truncated answer keeps the fields written before the cut.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bench.methods.llm_prompt import LlmMethod, fill, gbnf_literal
from bench.spec.options import LlmExtractOptions, read_options
from bench.spec.tasks import Item

MAX_VALUE_CHARS = 120
MEMBER = re.compile(r'"([^"\\]+)"\s*:\s*("(?:[^"\\]|\\.)*"|null|-?\d+(?:\.\d+)?)')


def fields_grammar(keys: list[str]) -> str:
    """Up to len(keys) members with known keys, in any order (a repeated key keeps its last value)."""
    key = " | ".join(gbnf_literal(json.dumps(k)) for k in keys)
    return "\n".join([
        f'root ::= "{{" (member (", " member){{0,{len(keys) - 1}}})? "}}"',
        'member ::= key ": " value',
        f"key ::= {key}",
        f'value ::= "\\"" char{{1,{MAX_VALUE_CHARS}}} "\\""',
        'char ::= [^"\\\\\\x00-\\x1f] | "\\\\" ["\\\\/bfnrt]',
    ])


def parse_members(answer: str) -> dict[str, str] | None:
    """The "key": value pairs of an answer, also from a truncated or slightly malformed object.

    None when the answer holds no object at all (not even an empty one).
    """
    start = answer.find("{")
    if start < 0:
        return None
    body = answer[start:]
    try:
        value = json.loads(body[:body.rfind("}") + 1]) if "}" in body else None
    except ValueError:
        value = None
    if isinstance(value, dict):
        return {str(k): str(v).strip() for k, v in value.items() if v is not None and str(v).strip()}
    members: dict[str, str] = {}
    for name, raw in MEMBER.findall(body):
        parsed = json.loads(raw)
        if parsed is not None and str(parsed).strip():
            members[name] = str(parsed).strip()
    return members


def parse_fields(answer: str, names: list[str], keys: dict[str, str] | None = None) -> dict[str, str | None] | None:
    """The fields of an answer (by field name; a field written under its short key counts), others null.

    None when the answer holds no JSON object.
    """
    members = parse_members(answer)
    if members is None:
        return None
    by_key = {key: name for name, key in (keys or {}).items()}
    out: dict[str, str | None] = dict.fromkeys(names)
    for key, value in members.items():
        name = by_key.get(key, key)
        if name in out:
            out[name] = value
    return out


class LlmExtract(LlmMethod):
    kinds = frozenset({"extraction"})
    prompt_name = "llm_extract"
    example_max_words = 250  # documents are longer than mails; one example is enough to show the format

    @property
    def names(self) -> list[str]:
        return [field.name for field in self.task.spec.fields or []]

    def keys(self) -> dict[str, str]:
        """Field name -> the short key the answer uses (the prompt file's `keys` section, else the name)."""
        keys = {name: name for name in self.names}
        for line in self.prompt.get("keys").splitlines():
            name, _, key = line.partition(":")
            if name.strip() in keys and key.strip():
                keys[name.strip()] = key.strip()
        if len(set(keys.values())) != len(keys):
            raise ValueError(f"{self.prompt.path}: two fields share a short key")
        return keys

    def listing(self) -> dict[str, str]:
        item = self.prompt.require("item")
        keys = self.keys()
        return {"fields": "\n".join(fill(item, name=f.name, key=keys[f.name], type=f.type, description=f.description)
                                    for f in self.task.spec.fields or [])}

    def answer_values(self, item: Item) -> dict[str, str]:
        target = item.target if isinstance(item.target, dict) else {}
        keys = self.keys()
        found = {keys[name]: target[name] for name in self.names if target.get(name) is not None}
        return {"fields": json.dumps(found, ensure_ascii=False)}

    def fit(self, train: list[Item], dev: list[Item]) -> dict[str, Any]:
        out = super().fit(train, dev)
        self.short_keys = self.keys()
        options = read_options(LlmExtractOptions, self.spec.options)
        self.constraint = options.constraint
        self.grammar = fields_grammar(list(self.short_keys.values())) if self.constraint == "grammar" else None
        self.max_tokens = options.max_tokens or 16 + 12 * len(self.names)
        return {**out, "shots": self.shots, "max_tokens": self.max_tokens, "keys": self.short_keys,
                "answer": "JSON object of the fields found only, short keys, generation stopped at '}'",
                "constraint": "grammar: known keys, string values" if self.grammar else "none (parsed)"}

    def predict(self, text: str) -> dict[str, str | None]:
        out = self.generate(text, max_tokens=self.max_tokens, grammar=self.grammar,
                            stop=None if self.grammar else ["}"])
        answer = out.text if out.text.rstrip().endswith("}") else out.text + "}"  # the stop string is cut off
        fields = parse_fields(answer, self.names, self.short_keys)
        if fields is None:
            self.tally(invalid_outputs=1)
            return dict.fromkeys(self.names)
        return fields
