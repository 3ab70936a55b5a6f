"""Safe YAML loading that remembers line numbers, and pydantic validation that reports them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bench.errors import ConfigError, ConfigErrors

ModelT = TypeVar("ModelT", bound=BaseModel)


def _node_lines(node: yaml.Node, path: tuple[str | int, ...], out: dict[tuple[str | int, ...], int]) -> None:
    """Map every key path of a composed YAML tree to its 1-based line."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            out[child] = key.start_mark.line + 1
            _node_lines(value, child, out)
            out[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _node_lines(item, (*path, index), out)


def load_yaml(path: Path) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    """Parse with the safe loader only; return the data and a key-path -> line map."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, None, None, f"cannot read file: {exc.strerror}") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(path, line, None, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        _node_lines(node, (), lines)
    return data, lines


def line_of(lines: dict[tuple[str | int, ...], int], loc: tuple[str | int, ...]) -> int | None:
    """The line of the deepest existing prefix of `loc` (a missing key reports its parent)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def validate(model: type[ModelT], data: Any, path: Path, lines: dict[tuple[str | int, ...], int],
             *, prefix: tuple[str | int, ...] = ()) -> ModelT:
    """Validate `data` against `model`, turning every pydantic error into a file:line:field message."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            # Pydantic inserts union/tag names into loc; keep only keys present in the document.
            loc = (*prefix, *(p for p in err["loc"] if isinstance(p, int | str)))
            field = ".".join(str(p) for p in loc) or None
            errors.append(ConfigError(path, line_of(lines, loc), field, err["msg"]))
        raise ConfigErrors(errors) from exc


def load_model(model: type[ModelT], path: Path) -> ModelT:
    """Load a YAML file and validate it in one step."""
    data, lines = load_yaml(path)
    return validate(model, data, path, lines)
