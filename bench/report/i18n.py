"""Report wording in French (default) and English, and number formatting for each language.

French uses a decimal comma, a narrow no-break space between thousands and ';' inside intervals, so
figures can be pasted into an administrative document as they are.
"""

from __future__ import annotations

import math
from typing import Any

from bench.decide.rank import Loss, TaskRanking, items_needed
from bench.report.strings import KEY_NOUNS, KEYS, LANGS, METRICS, STRINGS, VERDICTS

NNBSP = "\u202f"



def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language '{lang}' (choose from {', '.join(LANGS)})")
    return lang


def t(lang: str, name: str, **values: Any) -> str:
    return STRINGS[check_lang(lang)][name].format(**values)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _localise(text: str, lang: str) -> str:
    if lang != "fr":
        return text
    return text.replace(",", NNBSP).replace(".", ",")


def num(value: Any, lang: str, digits: int = 3) -> str:
    """A measured quantity with `digits` significant figures; thousands grouped; '–' when missing."""
    if _is_missing(value):
        return "–"
    if isinstance(value, str):
        return value
    x = float(value)
    if math.isinf(x):
        return "∞"
    if x == 0:
        return "0"
    if abs(x) >= 10 ** (digits - 1):
        return _localise(f"{x:,.0f}", lang)
    if abs(x) < 1e-3:
        mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
        return _localise(mantissa, lang) + f"e{int(exponent)}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return _localise(f"{x:.{decimals}f}", lang)


def plain(value: Any, lang: str) -> str:
    """A setting as the user gave it (5 %, PUE 1.2), without padding zeros."""
    return "–" if _is_missing(value) else _localise(f"{float(value):g}", lang)


def count(value: Any, lang: str) -> str:
    """A parameter count: exact below a million, else in millions (M) or billions (G; 'Md' in French)."""
    if _is_missing(value):
        return "–"
    x = float(value)
    if abs(x) >= 1e9:
        return num(x / 1e9, lang) + (" Md" if lang == "fr" else " G")
    if abs(x) >= 1e6:
        return num(x / 1e6, lang) + " M"
    return integer(x, lang)


def integer(value: Any, lang: str) -> str:
    return "–" if _is_missing(value) else _localise(f"{float(value):,.0f}", lang)


def score(value: Any, lang: str) -> str:
    """A quality score on its 0–1 scale, three decimals."""
    return "–" if _is_missing(value) else _localise(f"{float(value):.3f}", lang)


def interval(value: Any, low: Any, high: Any, lang: str) -> str:
    if _is_missing(value):
        return "–"
    sep = " ; " if lang == "fr" else ", "
    return f"{score(value, lang)} [{score(low, lang)}{sep}{score(high, lang)}]"


def points(delta: float, lang: str) -> str:
    """A score difference in points (hundredths of the 0–1 scale), signed."""
    if _is_missing(delta):
        return "–"
    text = _localise(f"{delta * 100:+.1f}", lang)
    return text.replace("-", "−")


def ratio(value: float, lang: str) -> str:
    if _is_missing(value):
        return "?×"
    if value >= 10:
        return f"{value:.0f}×"
    return _localise(f"{value:.2g}" if value < 1 else f"{value:.1f}", lang) + "×"


def metric_name(metric: str, lang: str) -> str:
    return METRICS[check_lang(lang)].get(metric, metric)


def key_name(key: str, lang: str) -> str:
    return KEYS[check_lang(lang)].get(key, key)


def key_noun(key: str, lang: str) -> str:
    return KEY_NOUNS[check_lang(lang)].get(key, key)


def verdict_name(verdict: str, lang: str) -> str:
    return VERDICTS[check_lang(lang)].get(verdict, verdict)


def join(items: list[str], lang: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + t(lang, "and") + items[-1]


def recommendation_sentence(ranking: TaskRanking, lang: str = "fr", markup: bool = False) -> str:
    """The one sentence per task; `markup` keeps the **bold** marks for Markdown/HTML."""
    metric = metric_name(ranking.metric, lang)
    threshold = score(ranking.threshold, lang)
    if ranking.recommended is not None:
        row = ranking.row(ranking.recommended)
        text = t(lang, "sentence_ok", task=ranking.task, model=ranking.recommended, metric=metric,
                 interval=interval(row[ranking.metric], row[f"{ranking.metric}_ci_low"],
                                   row[f"{ranking.metric}_ci_high"], lang),
                 min=threshold, key=key_noun(ranking.key, lang))
    elif ranking.closest is not None:
        row = ranking.row(ranking.closest)
        gap, point_gap = ranking.gap()
        text = t(lang, "sentence_none", task=ranking.task, model=ranking.closest, metric=metric, min=threshold,
                 interval=interval(row[ranking.metric], row[f"{ranking.metric}_ci_low"],
                                   row[f"{ranking.metric}_ci_high"], lang),
                 gap=points(gap, lang), point_gap=points(point_gap, lang))
    else:
        text = t(lang, "sentence_empty", task=ranking.task)
    return text if markup else text.replace("**", "")


def paired_words(diff: Any, lang: str) -> str:
    """"statistically tied (−0.1 pt [−0.6, +0.4])" or "better by +4.2 pt [+2.1, +6.3]"."""
    span = f"{points(diff.delta, lang)} pt [{points(diff.ci_low, lang)} ; {points(diff.ci_high, lang)}]"
    return t(lang, f"paired_{diff.direction}", span=span)


def loss_text(loss: Loss, ranking: TaskRanking, lang: str = "fr") -> str:
    """Why `loss.model_id` was not recommended, in numbers."""
    metric = metric_name(ranking.metric, lang)
    primary = ranking.key
    if loss.reason == "failed":
        return t(lang, "loss_failed", error=loss.error or t(lang, "unknown_error"))
    if loss.reason == "not_needed":
        return t(lang, "loss_not_needed", model=loss.decided_by)
    if loss.reason in ("borderline", "fail", "insufficient"):
        cost = ""
        if ranking.recommended is not None and not _is_missing(loss.ratios.get(primary)):
            cost = t(lang, "loss_cost", ratio=ratio(loss.ratios[primary], lang), key=key_name(primary, lang))
        value, low, high, threshold = loss.value, loss.ci_low, loss.ci_high, ranking.threshold
        on = ""
        if loss.deciding_set is not None and not _is_missing(loss.set_value):
            value, low, high = loss.set_value, loss.set_ci_low, loss.set_ci_high
            threshold = threshold if _is_missing(loss.set_threshold) else loss.set_threshold
            if len(ranking.sets) > 1:
                on = t(lang, "on_set", set=loss.deciding_set)
        n = "?" if _is_missing(loss.set_n) else str(int(loss.set_n))
        if loss.deciding_metric is not None and loss.deciding_metric != ranking.metric:
            on = t(lang, "on_set", set=loss.deciding_set) if len(ranking.sets) > 1 else ""
            return t(lang, f"limit_{loss.reason}", metric=metric_name(loss.deciding_metric, lang),
                     interval=interval(value, low, high, lang), max=score(threshold, lang), cost=cost, on=on, n=n,
                     needed=items_needed(1.0 - threshold))
        return t(lang, f"loss_{loss.reason}", metric=metric, interval=interval(value, low, high, lang),
                 min=score(threshold, lang), cost=cost, on=on, n=n, needed=items_needed(threshold))
    of_metric = metric
    if lang == "fr":  # "pt de macro-F1", "pt d'exactitude"
        of_metric = ("d'" if metric[:1].lower() in "aeéèêiouy" else "de ") + metric
    delta = f"{points(loss.quality_delta, lang)} pt {of_metric}"
    paired = (ranking.paired.get(loss.model_id) or {}).get(ranking.sets[0])
    if paired is not None:  # the paired interval decides the words: tied, or better/worse by
        delta = f"{metric} : {paired_words(paired, lang)}" if lang == "fr" else f"{metric} {paired_words(paired, lang)}"
    if loss.reason == "tied":
        if loss.decided_by is None:
            return t(lang, "loss_tied_all", delta=delta, of_metric=of_metric)
        return t(lang, "loss_tied", keys=join([key_noun(k, lang) for k in loss.tied_on], lang),
                 tol=plain(ranking.tolerance * 100, lang), delta=delta, of_metric=of_metric,
                 key=key_noun(loss.decided_by, lang),
                 ratio=f"{ratio(loss.ratios.get(loss.decided_by, math.nan), lang)} {key_name(loss.decided_by, lang)}")
    decided = loss.decided_by or primary
    second = "memory" if decided != "memory" else "energy"
    also = ""
    if not _is_missing(loss.ratios.get(second)):
        also = t(lang, "loss_also", ratio=ratio(loss.ratios[second], lang), key=key_name(second, lang))
    return t(lang, "loss_costlier", delta=delta, of_metric=of_metric,
             ratio=ratio(loss.ratios.get(decided, math.nan), lang), key=key_name(decided, lang), also=also)
