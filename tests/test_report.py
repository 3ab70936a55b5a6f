"""The report rebuilt from a saved run (records.jsonl + manifest.json only), in French and English,
as Markdown and self-contained HTML, and the HTML rendered by a real headless browser."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bench.cli import app
from bench.decide.projection import parse_volume
from bench.decide.rank import rank_records
from bench.report import build_report, markdown
from bench.report.charts import CHART_KINDS, chart_paths
from bench.report.document import build_document
from bench.report.i18n import LANGS, STRINGS, count, interval, num, points, ratio
from bench.run.results import load_records

FIXTURE = Path(__file__).parent / "fixtures" / "run_small"
TASKS = ("classify_mail", "summarise_notes")
VOLUME = "10000 agents x 20 mails/day x 220 days"


def copy_run(root: Path) -> Path:
    """A copy of the saved run: only its records and manifest, nothing derived."""
    target = root / "results" / FIXTURE.name
    target.mkdir(parents=True)
    for name in ("records.jsonl", "manifest.json"):
        shutil.copy(FIXTURE / name, target / name)
    return target


# Charts take a few seconds per build: each report is built once per module and shared by the tests.
@pytest.fixture(scope="module")
def french(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = copy_run(tmp_path_factory.mktemp("fr"))
    assert build_report(run_dir) == run_dir / "report.md"
    return run_dir


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = copy_run(tmp_path_factory.mktemp("en"))
    build_report(run_dir, lang="en", volume=parse_volume(VOLUME))
    return run_dir


def text_only(run_dir: Path, lang: str = "en", **options: Any) -> str:
    """The Markdown report without drawing the charts (for variants of key and gate)."""
    records = load_records(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    rankings = rank_records(records, key=options.get("key", "energy"), gates=options.pop("gates", None),
                            manifest=manifest)
    charts = chart_paths([r.task for r in rankings], run_dir / "charts")
    title, blocks = build_document(records, manifest, rankings, charts, run_dir, lang=lang, **options)
    return markdown.render(title, blocks)


def test_report_rebuilt_from_records_alone_in_french(french: Path) -> None:
    run_dir = french
    path = run_dir / "report.md"
    for name in ("report.md", "report.html", "summary.csv", "charts/overview.png", "charts/overview.svg"):
        assert (run_dir / name).is_file(), name
    for task in TASKS:
        for kind in CHART_KINDS:
            for suffix in (".png", ".svg"):
                chart = run_dir / "charts" / f"{task}_{kind}{suffix}"
                assert chart.is_file() and chart.stat().st_size > 1000, chart
    assert (run_dir / "charts" / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    md = path.read_text(encoding="utf-8")
    assert md.startswith("# frugal-bench — rapport du run 20260301T091500Z-1a2b3c4d")
    # the recommendation table: one row per task
    assert ("| classify_mail | **tfidf-logreg** | macro-F1 ≥ 0,800 | 0,861 [0,822 ; 0,897] | 0,0500 | 180 | 0,0800 "
            "| 40\u202f815 |") in md
    assert "| summarise_notes | aucun — le plus proche : qwen-0.5b-q4 (borne basse −3,0 pt) |" in md
    assert "classify_mail : utiliser **tfidf-logreg** — il atteint le seuil" in md
    assert "**aucun candidat n'atteint le seuil** ROUGE-L ≥ 0,300" in md
    # why the larger candidates lost, in numbers
    assert "`e5-small-q4` — +1,2 pt de macro-F1 pour 14× l'énergie et 6,0× la mémoire" in md
    assert "`camembert-base` — limite : macro-F1 0,805 [0,765 ; 0,842] chevauche le seuil 0,800" in md
    assert "`qwen-0.5b-q4` — n'a pas tourné : timeout: cell exceeded 900 s" in md
    # hardware, energy method, caveats
    assert "AMD EPYC 7B13" in md and "codecarbon 3.3.2 OfflineEmissionsTracker" in md
    assert "Énergie **estimée**, non mesurée (5 cellules)" in md
    assert "Candidats **limites**" in md and "camembert-base (classify_mail)" in md
    assert "Petits jeux de test ou intervalles larges (au-delà de ±5 pt) : summarise_notes (n = 120" in md
    assert "`classify_mail__qwen-0.5b-q4`" in md
    assert "Front de Pareto (qualité vs énergie pour 1000 requêtes) : tfidf-logreg, e5-small-q4." in md
    for task in TASKS:
        assert f"![{task} — Qualité vs énergie](charts/{task}_quality_vs_energy.png)" in md
    assert "Projection pour un marché" not in md  # only with a volume
    assert text_only(run_dir, "fr") == md  # the same content, whether or not charts are drawn again


def test_report_in_english_with_projection_and_other_key(english: Path) -> None:
    run_dir = english
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "| classify_mail | **tfidf-logreg** | macro-F1 ≥ 0.800 | 0.861 [0.822, 0.897] |" in md
    assert "`e5-small-q4` — +1.2 pt macro-F1 for 14× the energy and 6.0× the memory" in md
    assert "## Procurement projection" in md
    assert "= **44,000,000 requests per year** (per task)" in md
    # 0.05 Wh/1000 × 44e6 = 2.2 kWh; 0.0028 g/1000 × 44e6 = 123 g; 44e6 / 15000 req/s / 3600 × 2 threads = 1.63 h
    assert "| **tfidf-logreg** | ✓ passes | 2.20 | 0.123 | 1.63 | 2 | 15,000 |" in md
    # 44e6 / 0.42 req/s = 29,101 h of one instance; / 1607 h = 18.1 -> 19 instances × 2 threads = 38 cores
    assert "| qwen-0.5b-q4 | ≈ borderline | 1,980 | 111 | 58,201 | 38 | 0.420 |" in md
    assert "1607 h = the legal yearly working time in the French civil service" in md

    assert "most frugal by peak memory (RSS)" in text_only(run_dir, key="memory")
    assert "classify_mail: use **e5-small-q4**" in text_only(run_dir, gates={"classify_mail": ("macro_f1", 0.83)})


def test_html_is_self_contained(french: Path) -> None:
    page = (french / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page
    assert not re.search(r'(src|href)="(?!data:)', page), "the page must not load anything from outside"
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(TASKS) * len(CHART_KINDS) + 1
    assert all(base64.b64decode(data)[:4] == b"\x89PNG" for data in images)
    assert "<td><strong>tfidf-logreg</strong></td>" in page
    assert page.count("<table>") == 6  # recommendations, two full tables, two per-set tables, failed cells


def test_cli_report_and_rank(tmp_path: Path) -> None:
    run_dir = copy_run(tmp_path)
    runner = CliRunner()
    results = str(run_dir.parent)
    done = runner.invoke(app, ["report", run_dir.name, "--results", results, "--lang", "en", "--volume", VOLUME,
                               "--gate", "classify_mail=macro_f1:0.83"])
    assert done.exit_code == 0, done.output
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "Procurement projection" in md and "classify_mail: use **e5-small-q4**" in md
    assert (run_dir / "report.html").is_file() and (run_dir / "charts" / "overview.svg").is_file()
    ranked = runner.invoke(app, ["rank", str(run_dir), "--volume", "44e6", "--key", "memory"])
    assert ranked.exit_code == 0, ranked.output
    output = " ".join(ranked.output.split())  # the terminal width decides where lines wrap
    assert "Recommendations" in output and "tfidf-logreg" in output
    assert "no candidate passes the gate ROUGE-L ≥ 0.300" in output
    assert "e5-small-q4: +1.2 pt macro-F1 for 6.0× the memory and 14× the energy" in output
    assert "44,000,000 requests per year" in output and "Assumptions:" in output
    bad = runner.invoke(app, ["rank", str(run_dir), "--volume", "1000 mails/day"])
    assert bad.exit_code != 0 and "per day" in bad.output
    assert runner.invoke(app, ["report", str(run_dir), "--lang", "de"]).exit_code != 0


def test_wording_and_number_formats() -> None:
    assert set(STRINGS) == set(LANGS) and STRINGS["fr"].keys() == STRINGS["en"].keys()
    assert num(12345.6, "fr") == "12\u202f346" and num(12345.6, "en") == "12,346"
    assert num(0.0456, "fr") == "0,0456" and num(3.0e-6, "en") == "3.00e-6" and num(None, "en") == "–"
    assert interval(0.8, 0.75, 0.85, "fr") == "0,800 [0,750 ; 0,850]"
    assert interval(0.8, 0.75, 0.85, "en") == "0.800 [0.750, 0.850]"
    assert points(0.012, "en") == "+1.2" and points(-0.03, "fr") == "−3,0"
    assert ratio(14.2, "en") == "14×" and ratio(6.0, "fr") == "6,0×" and ratio(0.052, "en") == "0.052×"
    assert count(117_653_760, "en") == "118 M" and count(2.5e9, "fr") == "2,50 Md" and count(408, "fr") == "408"


def test_empty_run_still_gives_a_report(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"run_id": "empty"}), encoding="utf-8")
    md = build_report(tmp_path, lang="en").read_text(encoding="utf-8")
    assert "No usable cell in this run." in md and (tmp_path / "report.html").is_file()


# --------------------------------------------------------------------------- a real browser

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).is_file()), None)
CHECK = """<script>
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var out = {images: images.length,
             decoded: images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
             tables: document.querySelectorAll("table").length,
             rows: document.querySelectorAll("tbody tr").length,
             width: document.querySelector("table").getBoundingClientRect().width};
  var pre = document.createElement("pre");
  pre.id = "render-check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (CI installs Debian's chromium package)")
def test_html_renders_tables_and_images_in_headless_chromium(english: Path, tmp_path: Path) -> None:
    run_dir = english
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    # The report itself carries no script; a copy gets a probe that reports what the browser rendered.
    probe = run_dir / "probe.html"
    probe.write_text(page.replace("</body>", CHECK + "</body>"), encoding="utf-8")
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000",
         "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    match = re.search(r'<pre id="render-check">([^<]+)</pre>', dom)
    assert match, f"the page did not finish loading: {dom[:500]} {done.stderr[-1000:]}"
    rendered = json.loads(match.group(1))
    expected_images = len(TASKS) * len(CHART_KINDS) + 1
    assert rendered["images"] == expected_images
    assert rendered["decoded"] == expected_images, "some embedded charts did not decode"
    assert rendered["tables"] == 8  # recommendations, 2 projections, 2 full tables, 2 per-set tables, failed cells
    assert rendered["rows"] >= 14 and rendered["width"] > 300
    assert "<td><strong>tfidf-logreg</strong></td>" in dom
    assert "no candidate passes the gate" in dom


def test_cells_measured_on_a_shared_machine_are_named_as_upper_bounds(tmp_path: Path) -> None:
    run_dir = copy_run(tmp_path)
    quiet = text_only(run_dir)
    lines = (run_dir / "records.jsonl").read_text(encoding="utf-8").splitlines()
    first = {**json.loads(lines[0]), "window_machine_shared": True, "window_other_cpu_cores": 1.37}
    (run_dir / "records.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    shared = text_only(run_dir)
    assert "machine was shared" not in quiet
    assert f"{first['task']} × {first['model_id']}" in shared and "1.4 core" in shared
