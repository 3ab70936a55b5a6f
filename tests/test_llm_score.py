"""Routing by label scoring: known answers on a tiny GGUF whose next-token distribution is fixed, the
prior correction and the retriever of few-shot examples."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from tiny import write_task
from tiny_gguf import build_known_gguf, log_softmax

from bench.methods import DEFAULT_METHODS, METHOD_KINDS, MethodContext, get_method
from bench.methods.calibration import Prior, best, label_probabilities
from bench.methods.label_scores import fits, score_labels
from bench.methods.retriever import Retriever
from bench.spec.config import ModelSpec
from bench.spec.tasks import load_task

# The known model's next token, whatever the prompt: c (most probable), a, i, p, m; anything else e^-10.
LOGITS = {"c": 5.0, "a": 4.0, "i": 3.0, "p": 2.0, "m": 1.0}
EXPECTED = log_softmax(LOGITS)


@pytest.fixture(scope="module")
def known_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("xllamacpp")
    return build_known_gguf(tmp_path_factory.mktemp("known") / "known.gguf", LOGITS)


@pytest.fixture(scope="module")
def known_model(known_gguf: Path) -> Any:
    from bench.runtimes.llamacpp import LlamaCppModel

    return LlamaCppModel(known_gguf, threads=1, n_ctx=2048)


def reader(model: Any, prompt: str = "Courrier : bonjour.\nService :", n_probs: int = 20) -> Any:
    return lambda start: list(model.next_tokens(prompt, system="Réponds.", answer_start=start, n_probs=n_probs).top)


# ---------------------------------------------------------------- label scoring


def test_next_tokens_reads_the_model_distribution(known_model: Any) -> None:
    out = known_model.next_tokens("Bonjour", system="Réponds.", n_probs=5)
    assert [text for text, _ in out.top] == ["c", "a", "i", "p", "m"]
    for text, logprob in out.top:
        assert logprob == pytest.approx(EXPECTED[text], abs=1e-4)
    again = known_model.next_tokens("Bonjour", system="Réponds.", answer_start="c", n_probs=1)
    assert again.cached_tokens > 0  # the prompt comes from the cache; only the answer start is evaluated


def test_labels_with_distinct_first_tokens_are_scored_in_one_read(known_model: Any) -> None:
    scored = score_labels({"caf": "caf", "impots": "impots", "mairie": "mairie"}, reader(known_model))
    assert scored.requests == 1 and scored.unseen == 0
    for label, first in (("caf", "c"), ("impots", "i"), ("mairie", "m")):
        assert scored.logprobs[label] == pytest.approx(EXPECTED[first], abs=1e-4)
    assert scored.label_mass == pytest.approx(sum(math.exp(EXPECTED[c]) for c in "cim"), abs=1e-4)


@pytest.mark.parametrize("chat", [True, False])
def test_a_shared_prefix_is_read_further(known_gguf: Path, chat: bool) -> None:
    """caf and cpam both start with c: the answer "c" is written and the next token decides (a, then p)."""
    from bench.runtimes.llamacpp import LlamaCppModel

    model = LlamaCppModel(known_gguf, threads=1, n_ctx=2048, chat=chat)
    scored = score_labels({"caf": "caf", "cpam": "cpam", "impots": "impots"}, reader(model))
    assert scored.requests == 2
    assert scored.logprobs["caf"] == pytest.approx(EXPECTED["c"] + EXPECTED["a"], abs=1e-4)
    assert scored.logprobs["cpam"] == pytest.approx(EXPECTED["c"] + EXPECTED["p"], abs=1e-4)
    assert scored.logprobs["impots"] == pytest.approx(EXPECTED["i"], abs=1e-4)


def test_a_label_never_read_gets_the_floor(known_model: Any) -> None:
    scored = score_labels({"caf": "caf", "urssaf": "urssaf"}, reader(known_model, n_probs=5))
    assert scored.unseen == 1
    assert scored.logprobs["urssaf"] == pytest.approx(EXPECTED["m"], abs=1e-4)  # the least token read


def fake(tables: dict[str, list[tuple[str, float]]]) -> Any:
    calls: list[str] = []

    def next_tokens(start: str) -> list[tuple[str, float]]:
        calls.append(start)
        return tables.get(start, [])

    next_tokens.calls = calls  # type: ignore[attr-defined]
    return next_tokens


def test_every_spelling_of_a_label_counts() -> None:
    """Case, a leading space, an opening quote, the label then punctuation: one label, masses summed."""
    lp = math.log(0.1)
    reads = fake({"": [(" CAF", lp), ("Caf.", lp), ('"', lp), ("im", lp), ("Le", lp)],
                  '"': [("caf", math.log(0.5)), ("impots", math.log(0.5))]})
    scored = score_labels({"caf": "caf", "impots": "impots"}, reads)
    assert math.exp(scored.logprobs["caf"]) == pytest.approx(0.2 + 0.05)
    assert math.exp(scored.logprobs["impots"]) == pytest.approx(0.1 + 0.05)
    assert reads.calls == ["", '"']


def test_a_label_that_begins_another_ends_at_the_end_of_the_answer() -> None:
    reads = fake({"": [("ca", math.log(0.8))], "ca": [("", math.log(0.5)), ("fe", math.log(0.25)), ("\n", 0.0)]})
    scored = score_labels({"ca": "ca", "cafe": "cafe"}, reads)
    assert math.exp(scored.logprobs["ca"]) == pytest.approx(0.8 * (0.5 + 1.0))
    assert math.exp(scored.logprobs["cafe"]) == pytest.approx(0.8 * 0.25)


def test_unlikely_prefixes_are_shared_not_read() -> None:
    reads = fake({"": [("caf", math.log(0.9)), ("c", math.log(1e-4))]})
    scored = score_labels({"caf": "caf", "cpam": "cpam"}, reads, min_expand=1e-3)
    assert reads.calls == [""]
    assert math.exp(scored.logprobs["cpam"]) == pytest.approx(0.5e-4)


def test_fits() -> None:
    assert fits("c", "caf") and fits("caf", "caf") and fits("caf.", "caf") and fits("caf\n", "caf")
    assert not fits("cafe", "caf") and not fits("caf_x", "caf") and not fits("d", "caf")


# ---------------------------------------------------------------- calibration


def test_calibration_divides_the_prior_out() -> None:
    # The model prefers urssaf whatever the input (content-free reference: 0.7 urssaf).
    prior = Prior.measure([{"caf": math.log(0.2), "urssaf": math.log(0.7), "impots": math.log(0.1)}])
    assert prior.dominant() == ("urssaf", pytest.approx(0.7))
    mail = {"caf": math.log(0.3), "urssaf": math.log(0.6), "impots": math.log(0.1)}  # caf more than usual
    assert best(mail) == "urssaf"
    assert best(prior.calibrate(mail)) == "caf"
    assert best(prior.calibrate(mail, strength=0.0)) == "urssaf"
    assert sum(label_probabilities(mail).values()) == pytest.approx(1.0)
    flat = Prior.uniform(["a", "b"]).calibrate({"a": -1.0, "b": -2.0})  # a uniform prior changes nothing
    assert flat["a"] - flat["b"] == pytest.approx(1.0)


def test_calibration_removes_a_preference_that_ignores_the_input(known_model: Any) -> None:
    """The known model always prefers "c": uncalibrated it names caf for any mail; calibrated it has no preference."""
    labels = {"caf": "caf", "impots": "impots", "mairie": "mairie"}
    prior = Prior.measure(score_labels(labels, reader(known_model, text)).logprobs for text in ("N/A", ""))
    assert prior.dominant()[0] == "caf"
    scores = score_labels(labels, reader(known_model, "Courrier : ma taxe foncière.\nService :")).logprobs
    assert best(scores) == "caf"
    calibrated = prior.calibrate(scores)
    assert max(calibrated.values()) - min(calibrated.values()) < 1e-6
    with pytest.raises(ValueError, match="at least one"):
        Prior.measure([])


# ---------------------------------------------------------------- retriever


def test_retriever_finds_the_lexically_nearest_train_texts() -> None:
    train = ["Ma taxe foncière est trop élevée.", "Mon allocation logement a baissé.",
             "Je voudrais un acte de naissance.", "Les allocations familiales sont en retard.",
             "Bonjour madame", "Bonjour monsieur"]
    retriever = Retriever(train)
    assert retriever.nearest("allocations logement de ma fille", 2) == [1, 3]
    assert retriever.nearest("acte de naissance de mon fils", 1) == [2]
    assert retriever.nearest("rien de connu ici", 3) == [0, 1, 2]  # no shared word: train order
    assert retriever.nearest("taxe", 0) == []


def test_retriever_drops_terms_most_texts_share() -> None:
    train = [f"Bonjour madame, question numéro {i} sur {topic}." for i, topic in
             enumerate(["impôts", "retraite", "logement", "école"] * 3)]
    retriever = Retriever(train)
    assert "bonjou" not in retriever.idf and "madame" not in retriever.idf  # in every text
    assert retriever.nearest("Bonjour madame, et ma retraite ?", 1) == [1]


# ---------------------------------------------------------------- the method


def spec(path: Path, **options: Any) -> ModelSpec:
    return ModelSpec.model_validate({
        "id": "known-llm", "family": "known", "runtime": "llamacpp", "source": {"path": str(path)},
        "files": {"known.gguf": "0" * 64}, "licence": "MIT", "tasks": {"mini_route": "llm_score"},
        "options": {"n_ctx": 2048, **options}})


def test_method_is_registered_and_the_llamacpp_default_for_classification() -> None:
    assert METHOD_KINDS["llm_score"] == "classification"
    assert DEFAULT_METHODS["llamacpp"]["classification"] == "llm_score"


@pytest.mark.parametrize("calibration", ["dev", "content_free", "none"])
def test_llm_score_routes_with_examples_for_the_request(known_model: Any, tmp_path: Path, calibration: str) -> None:
    task = load_task(write_task(tmp_path))  # ships no prompt: the method's default prompt is used
    method = get_method("llm_score")(known_model, spec(tmp_path, shots=2, calibration=calibration,
                                                       calibration_items=3), task,
                                     MethodContext(threads=1, artifacts=tmp_path))
    fit = method.fit(task.splits["train"], task.splits["dev"])
    assert fit["prompt_file"].endswith("bench/methods/prompts/llm_score.txt")
    assert fit["calibration"] == calibration and fit["shots"] == 2
    assert fit["prior_favoured"]["label"] == "caf" or calibration == "none"
    mail = task.splits["test"][0].text
    turns = method.turns_for(mail)
    assert len(turns) == 2
    nearest = task.splits["train"][method.retriever.nearest(mail, 1)[0]]
    assert turns[-1] == method.example_turn(nearest)  # the nearest example last, next to the request
    before = method.distributions_read
    predictions = [method.predict(item.text) for item in task.splits["test"][:3]]
    assert set(predictions) <= set(task.spec.labels or {})
    if calibration == "none":
        assert predictions == ["caf"] * 3  # the model's preference, left as it is
    usage = method.usage()
    assert method.distributions_read - before == 3  # one read per mail: first tokens c, i, m are distinct
    assert usage["tokens_out"] == 0 and usage["label_mass_mean"] > 0.5
