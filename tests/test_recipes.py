"""The recipes on real engines: the sharded GitHub workflow, the Slurm job array and the Kubernetes Indexed Job.

actionlint cannot be installed here (its PyPI package downloads the binary at build time), so the workflows
get a structural check: known keys, expressions that name defined matrix/env/needs entries, scripts that
parse, and names (artifacts, run folders) that really match what the harness writes. The shell scripts of
the Slurm and Kubernetes recipes are run with a stand-in `frugal-bench` and `sbatch` on PATH, with the
variables each engine sets, to see the exact commands they issue.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib.util
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
RECIPES = REPO / "recipes"
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}")
CONTEXTS = {"github", "env", "matrix", "runner", "needs", "steps", "secrets", "inputs", "vars", "strategy", "job"}
FUNCTIONS = {"always", "cancelled", "success", "failure", "hashFiles", "contains", "startsWith", "endsWith",
             "format", "join", "toJSON", "fromJSON"}
WORKFLOW_KEYS = {"name", "on", "permissions", "concurrency", "env", "jobs", "defaults", "run-name"}
JOB_KEYS = {"name", "runs-on", "timeout-minutes", "strategy", "env", "steps", "needs", "if", "permissions",
            "concurrency", "outputs", "defaults", "services", "container", "environment", "continue-on-error"}
STEP_KEYS = {"name", "uses", "with", "run", "if", "env", "id", "shell", "timeout-minutes", "continue-on-error",
             "working-directory"}


# ---------------------------------------------------------------- GitHub Actions

def _workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return dict(data)


def _expressions(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in _expressions(k) + _expressions(v)]
    if isinstance(value, list):
        return [e for v in value for e in _expressions(v)]
    return [m.strip() for m in EXPRESSION.findall(value)] if isinstance(value, str) else []


def _check_workflow(data: dict[str, Any]) -> None:
    """What actionlint would catch for these files: unknown keys, undefined names, scripts that do not parse."""
    assert set(data) <= WORKFLOW_KEYS, set(data) - WORKFLOW_KEYS
    assert data["on"] and data["jobs"]
    workflow_env = set(data.get("env") or {})
    for job_id, job in data["jobs"].items():
        assert set(job) <= JOB_KEYS, (job_id, set(job) - JOB_KEYS)
        assert job["runs-on"] and int(job["timeout-minutes"]) > 0
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else needs
        assert all(n in data["jobs"] for n in needs), (job_id, needs)
        matrix = set((job.get("strategy") or {}).get("matrix") or {})
        env = workflow_env | set(job.get("env") or {})
        for step in job["steps"]:
            assert set(step) <= STEP_KEYS, (job_id, set(step) - STEP_KEYS)
            assert ("uses" in step) != ("run" in step), step
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]
            if "run" in step:
                script = EXPRESSION.sub("x", step["run"])
                done = subprocess.run(["bash", "-n", "-c", script], capture_output=True, text=True)
                assert done.returncode == 0, (job_id, step["run"], done.stderr)
                env_here = env | set(step.get("env") or {})
                for name in re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", step["run"]):
                    assert name in env_here, f"{job_id}: ${name} is not defined for: {step['run']}"
        for expression in _expressions({k: v for k, v in job.items() if k != "strategy"}):
            for context, member in re.findall(r"\b([a-z]+)\.([\w-]+)", re.sub(r"'[^']*'", "", expression)):
                assert context in CONTEXTS, (job_id, expression)
                if context == "matrix":
                    assert member in matrix, f"{job_id}: matrix.{member} is not in its matrix"
                if context == "env":
                    assert member in workflow_env | set(job.get("env") or {}), f"{job_id}: env.{member} undefined"
                if context == "needs":
                    assert member in needs, f"{job_id}: needs.{member} is not in its needs"
            for function in re.findall(r"([A-Za-z]+)\(", expression):
                assert function in FUNCTIONS, (job_id, expression)


def _step(job: dict[str, Any], uses: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if str(s.get("uses", "")).startswith(uses))


def _fill(text: str, **values: str) -> str:
    return EXPRESSION.sub(lambda m: values[m.group(1).strip()], text)


def test_both_workflows_pass_the_structural_check() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        _check_workflow(_workflow(path.name))


@pytest.mark.parametrize("mistake", [
    ("name: shard ${{ matrix.shard }}", "name: shard ${{ matrix.index }}"),  # not in the matrix
    ("needs: shard", "needs: shards"),  # no such job
    ('--shard "$SHARD/$SHARDS"', '--shard "$SHARD/$SHARD_COUNT"'),  # variable never defined
    ("path: shards\n", "path: shards\n          merge-multiple: true\n        run: true\n"),  # uses and run
    ("if: ${{ !cancelled() }}", "if: ${{ !canceled() }}"),  # no such function
    ("timeout-minutes: 60", "timeout-minute: 60"),  # unknown key
    ("run: python3 -m pip install nox", "run: python3 -m pip install nox )"),  # script does not parse
])
def test_the_structural_check_catches_usual_mistakes(mistake: tuple[str, str], tmp_path: Path) -> None:
    text = (WORKFLOWS / "nightly-sharded.yml").read_text(encoding="utf-8")
    assert mistake[0] in text
    data = yaml.safe_load(text.replace(mistake[0], mistake[1], 1))
    data["on"] = data.pop(True)
    with pytest.raises(AssertionError):
        _check_workflow(data)


def test_sharded_nightly_runs_a_matrix_uploads_each_shard_then_merges_and_gates() -> None:
    from bench.run.shard import ShardPlan

    data, nightly = _workflow("nightly-sharded.yml"), _workflow("nightly.yml")
    assert data["permissions"] == {"contents": "read"} and "workflow_dispatch" in data["on"]
    shards = int(data["env"]["SHARDS"])
    shard_job, merge_job = data["jobs"]["shard"], data["jobs"]["merge"]
    strategy = shard_job["strategy"]
    assert strategy["matrix"]["shard"] == list(range(shards)) and strategy["fail-fast"] is False
    assert shard_job["env"]["SHARD"] == "${{ matrix.shard }}"
    assert any('--shard "$SHARD/$SHARDS"' in s.get("run", "") and "nox -s nightly" in s.get("run", "")
               for s in shard_job["steps"])

    # The same caches, environment and actions as the nightly workflow.
    reference = nightly["jobs"]["nightly"]
    for job in (shard_job, merge_job):
        assert _step(job, "actions/cache") == _step(reference, "actions/cache")
        for action in ("actions/checkout", "actions/setup-python"):
            assert _step(job, action) == _step(reference, action)
        for name in ("FRUGAL_BENCH_CACHE", "HF_HOME", "PIP_DISABLE_PIP_VERSION_CHECK"):
            assert job["env"][name].split("#")[0].strip() == reference["env"][name].split("#")[0].strip()

    # Each shard's upload holds the run folder `run --shard K/N` writes, under a name the merge downloads.
    upload = _step(shard_job, "actions/upload-artifact")
    assert upload["if"] == "always()"
    values = {"matrix.shard": "2", "env.SHARDS": str(shards), "github.run_id": "99"}
    suffix = ShardPlan([], [], {"index": 2, "count": shards}).suffix
    run_dir = f"results/20261201T021700Z-0123abcd{suffix}/"
    assert fnmatch.fnmatch(run_dir, _fill(upload["with"]["path"], **values))
    assert not fnmatch.fnmatch(run_dir.replace("shard2", "shard3"), _fill(upload["with"]["path"], **values))
    artifact = _fill(upload["with"]["name"], **values)

    assert merge_job["needs"] == "shard" and "!cancelled()" in merge_job["if"]
    download = _step(merge_job, "actions/download-artifact")
    assert download["uses"].split("@")[1] == upload["uses"].split("@")[1]
    assert fnmatch.fnmatch(artifact, _fill(download["with"]["pattern"], **values))
    merge_run = next(s["run"] for s in merge_job["steps"] if "--merge" in s.get("run", ""))
    assert "nox -s nightly -- --merge" in merge_run
    glob = merge_run.split("--merge", 1)[1].strip().replace('"$SHARDS"', str(shards))
    assert fnmatch.fnmatch(f"{download['with']['path']}/{artifact}/{run_dir.rstrip('/')}", glob)
    assert _step(merge_job, "actions/upload-artifact")["if"] == "always()"


class RecordingSession:
    def __init__(self, posargs: list[str]) -> None:
        self.posargs = posargs
        self.commands: list[tuple[str, ...]] = []

    def install(self, *args: str) -> None:
        pass

    def run(self, *args: str, success_codes: list[int] | None = None) -> None:
        self.commands.append(args)


@functools.cache
def _noxfile() -> Any:
    spec = importlib.util.spec_from_file_location("frugal_noxfile", REPO / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore:The session .* has already been registered:FutureWarning")
@pytest.mark.parametrize(("posargs", "expected"), [
    ([], [("install", "--suite", "standard"), ("run", "--suite", "standard"),
          ("compare", "latest", "--baseline", "results/baselines/standard.json")]),
    (["--shard", "2/4"], [("install", "--suite", "standard"), ("run", "--suite", "standard", "--shard", "2/4")]),
    (["--merge", "a", "b", "--", "--latency-tol", "1.0"],
     [("merge", "--allow-mixed-hardware", "a", "b"),
      ("compare", "latest", "--baseline", "results/baselines/standard.json", "--latency-tol", "1.0")]),
])
def test_nightly_session_runs_a_shard_or_merges_then_gates(posargs: list[str],
                                                           expected: list[tuple[str, ...]]) -> None:
    session = RecordingSession(posargs)
    _noxfile().nightly(session)
    assert [c[1:] for c in session.commands] == expected and {c[0] for c in session.commands} == {"frugal-bench"}


# ---------------------------------------------------------------- shell recipes, run with stand-ins

@pytest.fixture
def stand_ins(tmp_path: Path) -> Path:
    """`frugal-bench` and `sbatch` that log their arguments (sbatch answers a job id, as --parsable does)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, answer in (("frugal-bench", ""), ("sbatch", 'echo "1234;cluster"')):
        path = bin_dir / name
        path.write_text(f'#!/bin/sh\necho "{name} $* [SHARDS=${{SHARDS:-}} RUN_NAME=${{RUN_NAME:-}}]" '
                        f'>> "$CALLS"\n{answer}\n', encoding="utf-8")
        path.chmod(0o755)
    return tmp_path


def _shell(stand_ins: Path, argv: list[str], env: dict[str, str]) -> tuple[int, list[str], str]:
    calls = stand_ins / "calls.log"
    calls.unlink(missing_ok=True)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "JOB_COMPLETION"))}
    done = subprocess.run(argv, capture_output=True, text=True, cwd=stand_ins, timeout=30, env={
        **clean, "PATH": f"{stand_ins / 'bin'}:{os.environ['PATH']}", "CALLS": str(calls), **env})
    lines = calls.read_text(encoding="utf-8").splitlines() if calls.is_file() else []
    return done.returncode, [line.split(" [")[0] for line in lines], done.stderr + "\n".join(lines)


def _array_env(**extra: str) -> dict[str, str]:
    return {"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_JOB_ID": "77",
            "SLURM_CPUS_PER_TASK": "2", **extra}


def test_slurm_array_task_runs_its_shard_and_resumes_when_requeued(stand_ins: Path) -> None:
    script = str(RECIPES / "slurm" / "shard.sbatch")
    text = (RECIPES / "slurm" / "shard.sbatch").read_text(encoding="utf-8")
    assert "#SBATCH --array=0-3" in text and "#SBATCH --requeue" in text

    code, calls, _ = _shell(stand_ins, ["bash", script], _array_env())
    assert code == 0 and calls == [
        "frugal-bench run --suite standard --results results/slurm-77/shard-2 --threads 2 --shard 2/4"]
    code, calls, _ = _shell(stand_ins, ["bash", script], _array_env(
        SHARDS="8", RUN_NAME="nightly", SUITE="quick", SHARD_COSTS="results/last", SLURM_SUBMIT_DIR=str(stand_ins)))
    assert code == 0 and calls == ["frugal-bench run --suite quick --results results/nightly/shard-2 --threads 2 "
                                   "--shard 2/8 --shard-costs results/last"]
    (stand_ins / "results" / "slurm-77" / "shard-2").mkdir(parents=True)
    (stand_ins / "results" / "slurm-77" / "shard-2" / "latest").symlink_to(stand_ins)
    code, calls, _ = _shell(stand_ins, ["bash", script], _array_env())
    assert code == 0 and calls == ["frugal-bench run --results results/slurm-77/shard-2 --resume latest --shard 2/4"]

    code, calls, err = _shell(stand_ins, ["bash", script], {"SHARDS": "4"})
    assert code != 0 and not calls and "sbatch --array=0-N-1" in err
    code, calls, err = _shell(stand_ins, ["bash", script], _array_env(SLURM_ARRAY_TASK_COUNT="1"))
    assert code == 2 and not calls and "not below SHARDS=1" in err  # `sbatch --array=2` without SHARDS


def test_slurm_merge_joins_every_shard_folder_then_gates(stand_ins: Path) -> None:
    script = str(RECIPES / "slurm" / "merge.sbatch")
    code, calls, _ = _shell(stand_ins, ["bash", script], {"SHARDS": "3", "RUN_NAME": "r"})
    assert code == 0 and calls == [
        "frugal-bench merge --results results/r results/r/shard-0 results/r/shard-1 results/r/shard-2"]
    baseline = stand_ins / "results" / "baselines" / "standard.json"
    baseline.parent.mkdir(parents=True)
    baseline.write_text("{}", encoding="utf-8")
    code, calls, _ = _shell(stand_ins, ["bash", script], {"SHARDS": "2", "RUN_NAME": "r", "ALLOW_MIXED_HARDWARE": "1"})
    assert code == 0 and calls == [
        "frugal-bench merge --results results/r --allow-mixed-hardware results/r/shard-0 results/r/shard-1",
        "frugal-bench compare latest --results results/r --baseline results/baselines/standard.json"]
    code, calls, err = _shell(stand_ins, ["bash", script], {"RUN_NAME": "r"})
    assert code != 0 and not calls and "SHARDS" in err


def test_slurm_submit_queues_the_array_then_the_merge_after_it(stand_ins: Path) -> None:
    code, _, log = _shell(stand_ins, ["bash", str(RECIPES / "slurm" / "submit.sh"), "8"], {"RUN_NAME": "n1"})
    assert code == 0, log
    lines = log.strip().splitlines()
    assert lines[0] == (f"sbatch --parsable --array=0-7 --export=ALL {RECIPES / 'slurm' / 'shard.sbatch'} "
                        "[SHARDS=8 RUN_NAME=n1]")
    assert lines[1] == (f"sbatch --parsable --dependency=afterany:1234 --export=ALL "
                        f"{RECIPES / 'slurm' / 'merge.sbatch'} [SHARDS=8 RUN_NAME=n1]")


# ---------------------------------------------------------------- Kubernetes

def _jobs() -> tuple[dict[str, Any], dict[str, Any]]:
    docs = [yaml.safe_load((RECIPES / "kubernetes" / f"{n}.yaml").read_text(encoding="utf-8"))
            for n in ("shards-job", "merge-job")]
    return docs[0], docs[1]


def _container(job: dict[str, Any]) -> dict[str, Any]:
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return dict(container)


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: str(e["value"]) for e in container["env"]}


def test_kubernetes_indexed_job_and_merge_job_agree() -> None:
    shards, merge = _jobs()
    for job in (shards, merge):
        assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job"
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
        assert _container(job)["command"] == ["/bin/sh", "-c"]
    spec, env = shards["spec"], _env(_container(shards))
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == spec["parallelism"] == int(env["SHARDS"])
    assert "JOB_COMPLETION_INDEX" in _container(shards)["args"][0]
    merge_env = _env(_container(merge))
    assert {k: merge_env[k] for k in ("SHARDS", "RUN_NAME", "SUITE")} == {k: env[k] for k in ("SHARDS", "RUN_NAME",
                                                                                              "SUITE")}
    for key in ("image", "workingDir", "volumeMounts"):
        assert _container(shards)[key] == _container(merge)[key]
    assert shards["spec"]["template"]["spec"]["volumes"] == merge["spec"]["template"]["spec"]["volumes"]
    limits = _container(shards)["resources"]["limits"]
    assert str(limits["cpu"]) == env["THREADS"]  # threads per cell follow the pod's CPUs: one hardware class


def _pod_script(job: dict[str, Any], results: Path) -> str:
    container = _container(job)
    (mount,) = container["volumeMounts"]
    return str(container["args"][0]).replace(mount["mountPath"], str(results))


def test_kubernetes_pods_run_their_shard_resume_and_merge(stand_ins: Path) -> None:
    shards, merge = _jobs()
    env, results = _env(_container(shards)), stand_ins / "volume"
    script = _pod_script(shards, results)
    out = results / env["RUN_NAME"] / "shard-1"
    code, calls, log = _shell(stand_ins, ["sh", "-c", script], {**env, "JOB_COMPLETION_INDEX": "1"})
    assert code == 0, log
    assert calls == [f"frugal-bench run --suite standard --results {out} --threads 2 --shard 1/4"]
    out.mkdir(parents=True)
    (out / "latest").symlink_to(out)
    code, calls, _ = _shell(stand_ins, ["sh", "-c", script], {**env, "JOB_COMPLETION_INDEX": "1"})
    assert code == 0 and calls == [f"frugal-bench run --results {out} --resume latest --shard 1/4"]
    code, calls, err = _shell(stand_ins, ["sh", "-c", script], env)
    assert code != 0 and not calls and "not an Indexed Job pod" in err
    code, calls, err = _shell(stand_ins, ["sh", "-c", script], {**env, "JOB_COMPLETION_INDEX": "4"})
    assert code == 2 and not calls and "make completions and SHARDS equal" in err

    root = results / env["RUN_NAME"]
    code, calls, _ = _shell(stand_ins, ["sh", "-c", _pod_script(merge, results)], _env(_container(merge)))
    assert code == 0 and calls == [f"frugal-bench merge --results {root} " + " ".join(
        str(root / f"shard-{k}") for k in range(4))]
