"""The report's words in French and English: metric and key names, verdicts, sentences (`str.format` templates)."""

from __future__ import annotations

from bench.decide.frugality_keys import FRUGALITY
from bench.kinds import METRICS as METRIC_LIST

LANGS = ("fr", "en")

# Metric names come with each metric (bench.kinds.METRICS).
METRICS: dict[str, dict[str, str]] = {lang: {m.name: m.words[lang] for m in METRIC_LIST.values()} for lang in LANGS}
# Key words come with each frugality key (bench.decide.frugality_keys).
KEYS: dict[str, dict[str, str]] = {lang: {k.name: k.the[lang] for k in FRUGALITY.values()} for lang in LANGS}
KEY_NOUNS: dict[str, dict[str, str]] = {lang: {k.name: k.noun[lang] for k in FRUGALITY.values()} for lang in LANGS}
VERDICTS: dict[str, dict[str, str]] = {
    "fr": {"pass": "✓ suffisant", "borderline": "≈ limite", "insufficient": "? preuve insuffisante",
           "fail": "✗ insuffisant", "failed": "⚠ échec d'exécution",
           "not_needed": "– pas nécessaire"},
    "en": {"pass": "✓ passes", "borderline": "≈ borderline", "insufficient": "? insufficient evidence",
           "fail": "✗ fails", "failed": "⚠ failed to run",
           "not_needed": "– not needed"},
}

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "frugal-bench — rapport du run {run_id}",
        "question_h": "La question",
        "question": ("Pour chaque tâche : quel est le plus petit modèle suffisant, sur cette machine ? Un candidat "
                     "est **suffisant** quand la borne basse de l'intervalle de confiance à 95 % de sa métrique de "
                     "qualité atteint le seuil de la tâche ; un intervalle qui chevauche le seuil est dit **limite** "
                     "et ne compte pas comme suffisant. Parmi les candidats suffisants, le plus sobre en {key} est "
                     "recommandé (départage : {tiebreak}). Des coûts à moins de {tol} % l'un de l'autre sont à "
                     "égalité (bruit de mesure)."),
        "rec_h": "Recommandations",
        "sentence_ok": ("{task} : utiliser **{model}** — il atteint le seuil ({metric} {interval} ≥ {min}) et c'est "
                        "le plus sobre en {key}."),
        "sentence_none": ("{task} : **aucun candidat n'atteint le seuil** {metric} ≥ {min}. Le plus proche est "
                          "{model}, {interval} : sa borne basse est à {gap} pt du seuil (estimation ponctuelle : "
                          "{point_gap} pt)."),
        "sentence_empty": "{task} : aucun candidat n'a produit de résultat.",
        "none_cell": "aucun — le plus proche : {model} (borne basse {gap} pt)",
        "none_short": "aucun (le plus proche : {model})",
        "energy_short": "Wh/1k req.", "memory_short": "RSS Mo", "p95_short": "p95 ms", "score_short": "Score",
        "task": "Tâche", "recommendation": "Recommandation", "gate": "Seuil", "score": "Score [IC 95 %]",
        "energy_col": "Énergie (Wh / 1000 req.)", "memory_col": "Mémoire max (Mo)", "p50_col": "Latence p50 (ms)",
        "p95_col": "Latence p95 (ms)", "params_col": "Paramètres", "co2_col": "CO2e (g / 1000 req.)",
        "model": "Modèle", "verdict": "Verdict", "weights_col": "Poids (Mo)", "throughput_col": "Débit (req./s)",
        "n_col": "n test", "cpu_col": "CPU (s / 1000 req.)",
        "machine_h": "Machine et mesures",
        "cpu": "Processeur : {cpu} ; {logical} cœurs logiques ({physical} physiques, {available} disponibles) ; "
               "{ram} Go de RAM ; {os} ; Python {python}.",
        "threads": "Threads par cellule : {threads}. Chaque cellule (modèle × tâche) tourne dans son propre "
                   "processus ; les requêtes sont servies une à une, sans lot.",
        "suite": "Suite : {suite} ; éléments de test par tâche : {items}.",
        "code": "Code : frugal-bench {version}, git {sha}{dirty} ; run créé le {created}.",
        "dirty": " (modifications non commitées)",
        "energy_h": "Comment l'énergie a été obtenue : {tool}.",
        "energy_measured": "Énergie **mesurée** par les compteurs RAPL du processeur ({n} cellules).",
        "energy_estimated": ("Énergie **estimée**, non mesurée ({n} cellules) : {how}. Les chiffres servent à "
                             "comparer les modèles entre eux sur cette machine, pas à prévoir une facture."),
        "energy_none": "Énergie : non mesurée dans ce run.",
        "energy_ram": "Part de la mémoire vive : {how}.",
        "energy_grid": "Réseau électrique : {country}, intensité carbone {intensity} gCO2e/kWh, PUE {pue}.",
        "task_h": "Tâche {task}",
        "gate_line": ("Seuil : {metric} ≥ {min}, appliqué à la borne basse de l'intervalle bootstrap à 95 % "
                      "(n = {n} éléments de test)."),
        "pareto_line": "Front de Pareto (qualité vs {key}) : {models}.",
        "why_h": "Pourquoi pas les autres :",
        "full_table": "Tableau complet",
        "charts": "Graphiques",
        "overview_h": "Vue d'ensemble",
        "projection_h": "Projection pour un marché",
        "projection_volume": "Volume annuel : {expression} = **{n} requêtes par an** (par tâche).",
        "projection_task": "Tâche {task}",
        "proj_energy": "Énergie (kWh / an)", "proj_co2": "CO2e (kg / an)",
        "proj_hours": "Heures de calcul (cœur·h / an)", "proj_cores": "Cœurs nécessaires",
        "proj_throughput": "Débit mesuré (req./s)",
        "assumptions": "Hypothèses :",
        "assume_energy": ("énergie et CO2e = valeur mesurée pour 1000 requêtes × volume ; seul le calcul actif est "
                          "compté (ni serveurs au repos, ni réseau, ni stockage) ; PUE {pue} ; intensité carbone "
                          "{intensity} gCO2e/kWh ({country})."),
        "assume_hours": ("heures de calcul = volume ÷ débit mesuré (une requête à la fois, {threads} thread(s) par "
                         "instance, sur {cpu}) × {threads} cœur(s)."),
        "assume_cores": ("cœurs nécessaires : charge répartie sur {hours} h de service par an (1607 h = durée "
                         "annuelle légale du travail dans la fonction publique) avec un facteur de pointe de {peak} ; "
                         "arrondi à des instances entières de {threads} thread(s)."),
        "assume_measured": "les énergies sont des estimations : voir « Machine et mesures ».",
        "caveats_h": "Limites",
        "cav_estimated": ("L'énergie et le CO2e sont **estimés** ({how}) : l'ordre entre modèles est fiable quand "
                          "les écarts sont grands, pas les valeurs absolues."),
        "cav_shared": ("Machine partagée pendant la mesure de {cells} : d'autres processus y occupaient en moyenne "
                       "jusqu'à {cores} cœur(s). Latences, débits et énergie de ces cellules sont des bornes hautes "
                       "(les LLM llama.cpp, dont les threads s'attendent en boucle active, peuvent y être plusieurs "
                       "fois plus lents) ; la qualité n'en dépend pas."),
        "cav_short_window": ("Fenêtres de mesure d'énergie courtes (< {seconds} s) pour {cells} : la lecture est "
                             "bruitée."),
        "cav_small": ("Petits jeux de test ou intervalles larges (au-delà de ±{wide} pt) : {tasks}. Plus "
                      "d'éléments de test resserreraient les intervalles à 95 %."),
        "cav_small_item": "{task} (n = {n}, ±{half} pt)",
        "cav_borderline": ("Candidats **limites** (intervalle à cheval sur le seuil, non retenus) : {items}. Plus "
                           "d'éléments de test permettraient de trancher."),
        "cav_failed": "Cellules en échec (exclues du classement) : {items}.",
        "cav_ties": "Des coûts à moins de {tol} % l'un de l'autre sont traités comme égaux.",
        "cav_machine": ("Les latences, la mémoire et l'énergie valent pour cette machine et {threads} thread(s) ; "
                        "elles changent sur un autre matériel."),
        "failed_h": "Cellules en échec",
        "provenance_h": "Provenance",
        "provenance": ("Ce rapport est reconstruit à partir de `records.jsonl` et `manifest.json` seuls "
                       "(`frugal-bench report {run_id}`). Détail par élément : `samples.jsonl` ; tableau plat : "
                       "`summary.csv`."),
        "packages": "Versions des bibliothèques : {packages}.",
        "loss_costlier": "{delta} pour {ratio} {key}{also}",
        "loss_also": " et {ratio} {key}",
        "loss_tied": "à égalité sur {keys} (à {tol} % près), {delta} ; perd sur {key} : {ratio}",
        "loss_tied_all": "à égalité sur tous les critères ({delta}) ; départagé par le nom",
        "loss_borderline": "limite{on} : {metric} {interval} chevauche le seuil {min}{cost}",
        "loss_fail": "insuffisant{on} : {metric} {interval} < {min}{cost}",
        "loss_insufficient": ("preuve insuffisante{on} : {n} items, il en faut au moins {needed} pour qu'un score "
                              "parfait franchisse {min} ({metric} {interval}){cost}"),
        "on_set": " sur {set}",
        "c_other_set": "sur {set} (relié au premier jeu)",
        "test_set": "Jeu de test",
        "paired_col": "Écart apparié avec {model}",
        "mdd_col": "Écart min. détectable",
        "sets_h": "Par jeu de test, et écarts appariés",
        "transfer_h": "Transfert d'un jeu de test à l'autre",
        "transfer_intro": ("Un candidat doit passer sur chaque jeu. Écart de {metric} du premier jeu vers les "
                           "autres, et corrélation de rang (Spearman) des candidats entre jeux :"),
        "transfer_rho": "{first} → {other} : corrélation de rang {rho} sur {n} candidats",
        "transfer_warn": " — **faible : le premier jeu ne prédit pas l'ordre des candidats sur l'autre**",
        "transfer_drop": "`{model}` : {delta} pt de {first} à {other}",
        "limit_fail": "insuffisant{on} : {metric} {interval} > {max}{cost}",
        "limit_borderline": "limite{on} : {metric} {interval} chevauche le plafond {max}{cost}",
        "limit_insufficient": ("preuve insuffisante{on} : {n} items ne peuvent montrer {metric} ≤ {max} (il en faut "
                               "au moins {needed}){cost}"),
        "paired_tied": "statistiquement à égalité ({span})",
        "paired_better": "meilleur de {span}",
        "paired_worse": "moins bon de {span}",
        "loss_cost": " ; {ratio} {key}",
        "loss_failed": "n'a pas tourné : {error}",
        "loss_not_needed": "pas nécessaire : plus coûteux que {model}, qui passe (coûts mesurés, qualité non évaluée)",
        "unknown_error": "erreur inconnue",
        "and": " et ",
        "none": "aucun",
        "status": "statut",
        "error": "erreur",
        "all_items": "tous",
        "unknown": "inconnu",
        "no_rankings": "Aucune cellule exploitable dans ce run.",
        # charts
        "c_qve_title": "{task} : qualité vs énergie",
        "c_energy_x": "énergie pour 1000 requêtes (Wh, échelle log)",
        "c_metric_y": "{metric} (IC 95 %)",
        "c_recommended": "recommandé",
        "c_pareto": "front de Pareto",
        "c_gate": "seuil {metric} ≥ {min}",
        "c_size_title": "{task} : qualité selon la taille du modèle",
        "c_size_x": "paramètres (échelle log)",
        "c_latency_title": "{task} : latence par requête",
        "c_latency_y": "latence par requête (ms{log})",
        "c_memory_title": "{task} : mémoire maximale du processus",
        "c_memory_y": "RSS maximale (Mo{log})",
        "c_co2_title": "{task} : CO2e pour 1000 requêtes",
        "c_co2_y": "CO2e pour 1000 requêtes (g{log})",
        "c_log": ", échelle log",
        "c_overview_title": "Toutes les tâches : marge au seuil vs énergie",
        "c_overview_y": "borne basse IC 95 % − seuil (points)",
        "c_no_data": "pas de donnée",
        "c_failed": "échec",
        "cap_quality_vs_energy": "Qualité vs énergie", "cap_quality_vs_size": "Qualité selon la taille",
        "cap_latency": "Latence p50 / p95", "cap_memory": "Mémoire maximale", "cap_co2": "CO2e pour 1000 requêtes",
        "cap_overview": "Marge au seuil vs énergie, toutes tâches",
        "scenario_main": ("Chiffres du scénario **{scenario}** ({what})."),
        "sc_single": "une requête à la fois", "sc_offline": "tout le jeu de test d'un coup, traité par lots",
        "scenario_h": "Scénario {scenario} ({what})",
        "scenario_intro": ("Les mêmes candidats, classés sur les chiffres de ce scénario. Le tableau met les deux "
                           "scénarios côte à côte ; les réponses hors ligne doivent être celles d'une requête à la "
                           "fois (au bruit numérique près) : un écart est signalé par ⚠."),
        "sc_cols": "tâche|modèle|débit (req/s)|Wh / 1000 req.|CPU s / 1000 req.|RSS max (Mo)|traitement|réponses",
        "sc_same": "identiques ({n})", "sc_differ": "⚠ {k} sur {n} diffèrent", "sc_none": "pas de référence",
        "c_scenarios_title": "{task} : énergie pour 1000 requêtes, une à la fois vs hors ligne",
        "c_scenarios_y": "Wh pour 1000 requêtes{log}",
        "cap_scenarios": "Énergie pour 1000 requêtes, une requête à la fois vs hors ligne (par lots)",
    },
    "en": {
        "title": "frugal-bench — report for run {run_id}",
        "question_h": "The question",
        "question": ("For each task: which is the smallest model that is good enough, on this machine? A candidate "
                     "is **good enough** when the lower bound of the 95 % confidence interval of its quality metric "
                     "reaches the task's threshold; an interval across the threshold is **borderline** and does not "
                     "count as good enough. Among the good-enough candidates, the most frugal by {key} is "
                     "recommended (ties broken by {tiebreak}). Costs within {tol} % of each other are a tie "
                     "(measurement noise)."),
        "rec_h": "Recommendations",
        "sentence_ok": ("{task}: use **{model}** — it passes the gate ({metric} {interval} ≥ {min}) and is the most "
                        "frugal by {key}."),
        "sentence_none": ("{task}: **no candidate passes the gate** {metric} ≥ {min}. Closest is {model}, "
                          "{interval}: its lower bound is {gap} pt from the gate (point estimate: {point_gap} pt)."),
        "sentence_empty": "{task}: no candidate produced a result.",
        "none_cell": "none — closest: {model} (lower bound {gap} pt)",
        "none_short": "none (closest: {model})",
        "energy_short": "Wh/1k req", "memory_short": "RSS MB", "p95_short": "p95 ms", "score_short": "Score",
        "task": "Task", "recommendation": "Recommendation", "gate": "Gate", "score": "Score [95 % CI]",
        "energy_col": "Energy (Wh / 1000 req.)", "memory_col": "Peak memory (MB)", "p50_col": "p50 latency (ms)",
        "p95_col": "p95 latency (ms)", "params_col": "Parameters", "co2_col": "CO2e (g / 1000 req.)",
        "model": "Model", "verdict": "Verdict", "weights_col": "Weights (MB)", "throughput_col": "Throughput (req/s)",
        "n_col": "n test", "cpu_col": "CPU (s / 1000 req.)",
        "machine_h": "Hardware and measurement",
        "cpu": "CPU: {cpu}; {logical} logical cores ({physical} physical, {available} available); {ram} GB RAM; "
               "{os}; Python {python}.",
        "threads": "Threads per cell: {threads}. Each cell (model × task) runs in its own process; requests are "
                   "served one at a time, without batching.",
        "suite": "Suite: {suite}; test items per task: {items}.",
        "code": "Code: frugal-bench {version}, git {sha}{dirty}; run created {created}.",
        "dirty": " (uncommitted changes)",
        "energy_h": "How energy was obtained: {tool}.",
        "energy_measured": "Energy **measured** by the CPU's RAPL counters ({n} cells).",
        "energy_estimated": ("Energy **estimated**, not measured ({n} cells): {how}. Use the figures to compare "
                             "models with each other on this machine, not to predict a bill."),
        "energy_none": "Energy: not measured in this run.",
        "energy_ram": "RAM share: {how}.",
        "energy_grid": "Electricity grid: {country}, carbon intensity {intensity} gCO2e/kWh, PUE {pue}.",
        "task_h": "Task {task}",
        "gate_line": ("Gate: {metric} ≥ {min}, applied to the lower bound of the 95 % bootstrap interval "
                      "(n = {n} test items)."),
        "pareto_line": "Pareto front (quality vs {key}): {models}.",
        "why_h": "Why not the others:",
        "full_table": "Full table",
        "charts": "Charts",
        "overview_h": "Overview",
        "projection_h": "Procurement projection",
        "projection_volume": "Yearly volume: {expression} = **{n} requests per year** (per task).",
        "projection_task": "Task {task}",
        "proj_energy": "Energy (kWh / year)", "proj_co2": "CO2e (kg / year)",
        "proj_hours": "Compute (core-hours / year)", "proj_cores": "Cores needed",
        "proj_throughput": "Measured throughput (req/s)",
        "assumptions": "Assumptions:",
        "assume_energy": ("energy and CO2e = measured value per 1000 requests × volume; only busy compute is "
                          "counted (no idle servers, network or storage); PUE {pue}; carbon intensity {intensity} "
                          "gCO2e/kWh ({country})."),
        "assume_hours": ("compute-hours = volume ÷ measured throughput (one request at a time, {threads} thread(s) "
                         "per instance, on {cpu}) × {threads} core(s)."),
        "assume_cores": ("cores needed: load spread over {hours} service hours per year (1607 h = the legal yearly "
                         "working time in the French civil service) with a peak factor of {peak}; rounded up to whole "
                         "instances of {threads} thread(s)."),
        "assume_measured": "energies are estimates: see 'Hardware and measurement'.",
        "caveats_h": "Caveats",
        "cav_estimated": ("Energy and CO2e are **estimated** ({how}): the order between models holds when the gaps "
                          "are large, the absolute values do not."),
        "cav_shared": ("The machine was shared while {cells} were measured: other processes used up to {cores} "
                       "core(s) on average. Latencies, throughput and energy of these cells are upper bounds "
                       "(llama.cpp LLMs, whose threads wait on each other in spin loops, can be several times "
                       "slower); quality does not depend on it."),
        "cav_short_window": "Short energy windows (< {seconds} s) for {cells}: the reading is noisy.",
        "cav_small": ("Small test sets or wide intervals (beyond ±{wide} pt): {tasks}. More test items would "
                      "narrow the 95 % intervals."),
        "cav_small_item": "{task} (n = {n}, ±{half} pt)",
        "cav_borderline": ("**Borderline** candidates (interval across the gate, not retained): {items}. More test "
                           "items would settle them."),
        "cav_failed": "Failed cells (left out of the ranking): {items}.",
        "cav_ties": "Costs within {tol} % of each other are treated as equal.",
        "cav_machine": ("Latency, memory and energy hold for this machine and {threads} thread(s); they change on "
                        "other hardware."),
        "failed_h": "Failed cells",
        "provenance_h": "Provenance",
        "provenance": ("This report is rebuilt from `records.jsonl` and `manifest.json` alone (`frugal-bench report "
                       "{run_id}`). Per-item detail: `samples.jsonl`; flat table: `summary.csv`."),
        "packages": "Library versions: {packages}.",
        "loss_costlier": "{delta} for {ratio} {key}{also}",
        "loss_also": " and {ratio} {key}",
        "loss_tied": "tied on {keys} (within {tol} %), {delta}; loses on {key}: {ratio}",
        "loss_tied_all": "tied on every key ({delta}); ordered by name",
        "loss_borderline": "borderline{on}: {metric} {interval} straddles the gate {min}{cost}",
        "loss_fail": "fails{on}: {metric} {interval} < {min}{cost}",
        "loss_insufficient": ("insufficient evidence{on}: {n} items, at least {needed} needed for a perfect score to "
                              "clear {min} ({metric} {interval}){cost}"),
        "on_set": " on {set}",
        "c_other_set": "on {set} (joined to the first set)",
        "test_set": "Test set",
        "paired_col": "Paired difference with {model}",
        "mdd_col": "Min. detectable diff.",
        "sets_h": "Per test set, and paired differences",
        "transfer_h": "Transfer from one test set to another",
        "transfer_intro": ("A candidate must pass on every set. Change of {metric} from the first set to the "
                           "others, and rank correlation (Spearman) of the candidates between sets:"),
        "transfer_rho": "{first} → {other}: rank correlation {rho} over {n} candidates",
        "transfer_warn": " — **low: the first set does not predict the candidates' order on the other**",
        "transfer_drop": "`{model}`: {delta} pt from {first} to {other}",
        "limit_fail": "fails{on}: {metric} {interval} > {max}{cost}",
        "limit_borderline": "borderline{on}: {metric} {interval} straddles the cap {max}{cost}",
        "limit_insufficient": ("insufficient evidence{on}: {n} items cannot show {metric} ≤ {max} "
                               "(at least {needed}){cost}"),
        "paired_tied": "statistically tied ({span})",
        "paired_better": "better by {span}",
        "paired_worse": "worse by {span}",
        "loss_cost": "; {ratio} {key}",
        "loss_failed": "failed to run: {error}",
        "loss_not_needed": "not needed: costlier than {model}, which passes (costs measured, quality not scored)",
        "unknown_error": "unknown error",
        "and": " and ",
        "none": "none",
        "status": "status",
        "error": "error",
        "all_items": "all",
        "unknown": "unknown",
        "no_rankings": "No usable cell in this run.",
        "c_qve_title": "{task}: quality vs energy",
        "c_energy_x": "energy per 1000 requests (Wh, log scale)",
        "c_metric_y": "{metric} (95 % CI)",
        "c_recommended": "recommended",
        "c_pareto": "Pareto front",
        "c_gate": "gate {metric} ≥ {min}",
        "c_size_title": "{task}: quality vs model size",
        "c_size_x": "parameters (log scale)",
        "c_latency_title": "{task}: latency per request",
        "c_latency_y": "latency per request (ms{log})",
        "c_memory_title": "{task}: peak process memory",
        "c_memory_y": "peak RSS (MB{log})",
        "c_co2_title": "{task}: CO2e per 1000 requests",
        "c_co2_y": "CO2e per 1000 requests (g{log})",
        "c_log": ", log scale",
        "c_overview_title": "All tasks: margin over the gate vs energy",
        "c_overview_y": "95 % CI lower bound − gate (points)",
        "c_no_data": "no data",
        "c_failed": "failed",
        "cap_quality_vs_energy": "Quality vs energy", "cap_quality_vs_size": "Quality vs size",
        "cap_latency": "Latency p50 / p95", "cap_memory": "Peak memory", "cap_co2": "CO2e per 1000 requests",
        "cap_overview": "Margin over the gate vs energy, all tasks",
        "scenario_main": "Figures of the **{scenario}** scenario ({what}).",
        "sc_single": "one request at a time", "sc_offline": "the whole test set at once, batched",
        "scenario_h": "Scenario {scenario} ({what})",
        "scenario_intro": ("The same candidates, ranked on this scenario's figures. The table puts both scenarios "
                           "side by side; offline answers must be those of one request at a time (up to numerical "
                           "noise): a difference is flagged with ⚠."),
        "sc_cols": "task|model|throughput (req/s)|Wh / 1000 req.|CPU s / 1000 req.|peak RSS (MB)|serving|answers",
        "sc_same": "identical ({n})", "sc_differ": "⚠ {k} of {n} differ", "sc_none": "no reference",
        "c_scenarios_title": "{task}: energy per 1000 requests, one at a time vs offline",
        "c_scenarios_y": "Wh per 1000 requests{log}",
        "cap_scenarios": "Energy per 1000 requests, one request at a time vs offline (batched)",
    },
}
