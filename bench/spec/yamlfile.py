"""Safe YAML loading that remembers line numbers, and pydantic validation that reports them.

Beyond the safe loader: a document whose aliases expand past MAX_NODES (an "alias bomb": a few hundred
bytes that expand to billions of nodes) is refused while it is parsed, as are recursive aliases and
duplicate keys (the second `models:` would silently replace the first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bench.spec.errors import ConfigError, ConfigErrors
from bench.spec.textfile import read_text

ModelT = TypeVar("ModelT", bound=BaseModel)
# The biggest real file (models.yaml) has ~2,000 nodes; 100x that leaves room and stays fast to validate.
MAX_NODES = 200_000
MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """The safe loader, counting the nodes the document expands to as it is composed."""

    def __init__(self, text: str, path: Path) -> None:
        super().__init__(text)
        self.path = path
        self.expanded = 0
        self.sizes: dict[int, int] = {}  # id(node) -> expanded size, for completed nodes
        self.open_anchors: list[str] = []

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self.open_anchors:
                raise ConfigError(self.path, _line(event), None,
                                  f"alias '*{event.anchor}' refers to its own anchor (a recursive structure)")
            node = super().compose_node(parent, index)
            self._count(self.sizes.get(id(node), 1), event)
            return node
        self._count(1, event)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.open_anchors.append(anchor)
        node = super().compose_node(parent, index)
        if anchor is not None:
            self.open_anchors.pop()
        if node is not None:
            self.sizes[id(node)] = 1 + sum(self.sizes.get(id(child), 1) for child in _children(node))
        return node

    def _count(self, nodes: int, event: yaml.Event) -> None:
        self.expanded += nodes
        if self.expanded > MAX_NODES:
            raise ConfigError(self.path, _line(event), None,
                              f"the YAML expands to more than {MAX_NODES:,} nodes through its aliases "
                              "(an alias bomb?); refusing to read it")


def _line(event: yaml.Event) -> int | None:
    return event.start_mark.line + 1 if event.start_mark is not None else None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _node_lines(node: yaml.Node, path: tuple[str | int, ...], out: dict[tuple[str | int, ...], int],
                errors: list[ConfigError], file: Path) -> None:
    """Map every key path of a composed YAML tree to its 1-based line; collect duplicate keys."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if key.tag == MERGE_TAG:
                continue
            name, line = str(key.value), key.start_mark.line + 1
            if name in seen:
                where = ".".join(str(p) for p in (*path, name))
                errors.append(ConfigError(file, line, where, f"duplicate key '{name}' (first at line {seen[name]}): "
                                          "the second would silently replace the first"))
            seen.setdefault(name, line)
            child = (*path, name)
            out[child] = line
            _node_lines(value, child, out, errors, file)
            out[child] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _node_lines(item, (*path, index), out, errors, file)


def parse_yaml(text: str, path: Path) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    """Parse with the safe loader only; return the data and a key-path -> line map."""
    loader = _Loader(text, path)
    try:
        node = loader.get_single_node()
        lines: dict[tuple[str | int, ...], int] = {}
        if node is None:
            return None, lines
        errors: list[ConfigError] = []
        _node_lines(node, (), lines, errors, path)  # before construction, which rewrites merge keys in place
        if errors:
            raise errors[0] if len(errors) == 1 else ConfigErrors(errors)
        return loader.construct_document(node), lines
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(path, line, None, f"invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    finally:
        loader.dispose()


def load_yaml(path: Path) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    """Read a UTF-8 YAML file (see parse_yaml)."""
    return parse_yaml(read_text(path), path)


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
