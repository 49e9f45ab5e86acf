"""Which online features carry signal beyond the production model's prediction?

An offline diagnostic on the `evaluate --validation` splits (train users only; never the
test file). The production model replays the validation split exactly as `evaluate`
does; beside it, candidate features are computed online, each from the rows before the
one it describes. Then a logistic regression on the production logit plus the
candidates is cross-validated over the scored (held-out) users, two folds by user, so
the gain it shows is what the features add to the model's own prediction, not a fit to
the rows it is scored on.

    .venv/bin/python scripts/feature_diagnostic.py [--dataset assistments09] [--cache F]

It prints the production model's AUC / log-loss and, for each feature group, the
cross-validated AUC / log-loss of the regression with and without it.
"""

from __future__ import annotations

import argparse
import math
import sys
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from smartpractice.core.config import ModelConfig
from smartpractice.core.rating.elo import practice_gain
from smartpractice_lab.evaluation.dataset import ReplayData
from smartpractice_lab.evaluation.production import ProductionModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validation_splits import load

LN10 = math.log(10.0)
ALPHAS = (0.1, 0.2, 0.4)


def collect(data: ReplayData, config: ModelConfig) -> dict[str, npt.NDArray[np.float64]]:
    """Replay the production model on `data`; every row's prediction and candidate features,
    each computed before that row's answer is seen."""
    model = ProductionModel(data.items, config)
    store = model.store
    elo = config.elo
    to_logit = LN10 / elo.scale
    cols: dict[str, list[float]] = defaultdict(list)
    # Online state of the candidate features.
    mom_res: dict[tuple[str, float], float] = {}
    mom_cor: dict[tuple[str, float], float] = {}
    last: dict[str, float] = {}
    last_skill: dict[tuple[str, str], float] = {}
    skill_res: dict[tuple[str, str], float] = {}
    combo: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    seen_item: dict[tuple[str, str], list[int]] = {}
    item_counts: dict[str, list[int]] = {}
    item_res: dict[str, float] = {}
    rw_skill: dict[tuple[str, str], list[float]] = {}
    streak: dict[str, int] = {}
    since_fail: dict[tuple[str, str], int] = {}
    rows = [(r, 0.0) for r in data.train] + [(r, 1.0) for r in data.test]
    for response, is_test in rows:
        sid, iid, y = response.student_id, response.item_id, float(response.correct)
        student = store.students.get(sid)
        item = store.items[iid].ratings.difficulties
        skills = tuple(sorted(item))
        n = len(skills)
        ability = student.ability.value if student else elo.initial_student_rating
        offs = student.offsets if student else {}
        off_mean = sum(offs[s].value if s in offs else 0.0 for s in skills) / n
        gain_mean = sum(practice_gain(offs.get(s), config=elo) for s in skills) / n
        diff_mean = sum(item[s].value for s in skills) / n
        first_skill = sum(1.0 for s in skills if s not in offs or offs[s].attempts == 0) / n
        skill_attempts = sum(offs[s].attempts if s in offs else 0 for s in skills) / n
        skill_correct = sum(offs[s].correct if s in offs else 0 for s in skills) / n
        applied = model.apply(response)
        p = applied.predicted
        pc = min(max(p, 1e-6), 1 - 1e-6)
        z = math.log(pc / (1 - pc))
        w_all = student.ability.correct if student else 0
        a_all = student.ability.attempts if student else 0
        cols["y"].append(y)
        cols["test"].append(is_test)
        cols["p"].append(p)
        cols["z"].append(z)
        cols["student"].append(float(zlib.crc32(sid.encode())))
        cols["c_ability"].append((ability - elo.initial_student_rating) * to_logit)
        cols["c_offset"].append(off_mean * to_logit)
        cols["c_gain"].append(gain_mean * to_logit)
        cols["c_diff"].append((diff_mean - elo.unlabelled_difficulty) * to_logit)
        cols["first_skill"].append(first_skill)
        cols["ln_skill_w"].append(math.log1p(skill_correct))
        cols["ln_skill_f"].append(math.log1p(skill_attempts - skill_correct))
        cols["ln_all_w"].append(math.log1p(w_all))
        cols["ln_all_f"].append(math.log1p(a_all - w_all))
        cols["multi"].append(float(n > 1))
        for a in ALPHAS:
            cols[f"mom_res_{a}"].append(mom_res.get((sid, a), 0.0))
            cols[f"mom_cor_{a}"].append(mom_cor.get((sid, a), 0.0))
        cols["last"].append(last.get(sid, 0.0))
        cols["streak"].append(float(streak.get(sid, 0)))
        cols["last_skill"].append(sum(last_skill.get((sid, s), 0.0) for s in skills) / n)
        cols["skill_res"].append(sum(skill_res.get((sid, s), 0.0) for s in skills) / n)
        cw, cf = combo.get((sid, skills), [0, 0])
        cols["ln_combo_w"].append(math.log1p(cw))
        cols["ln_combo_f"].append(math.log1p(cf))
        iw, i_f = seen_item.get((sid, iid), [0, 0])
        cols["item_seen_w"].append(float(iw))
        cols["item_seen_f"].append(float(i_f))
        ia, ic = item_counts.get(iid, [0, 0])
        cols["item_rate"].append(math.log((ic + 0.66 * 4) / (ia - ic + 0.34 * 4)))
        cols["ln_item_n"].append(math.log1p(ia))
        cols["item_res"].append(item_res.get(iid, 0.0))
        rw = [rw_skill.get((sid, s), [0.0, 0.0]) for s in skills]
        cols["rw_w"].append(sum(v[0] for v in rw) / n)
        cols["rw_f"].append(sum(v[1] for v in rw) / n)
        cols["since_fail"].append(sum(math.log1p(since_fail.get((sid, s), 0)) for s in skills) / n)
        # Learn the candidates' state from this answer.
        r = y - p
        for a in ALPHAS:
            mom_res[(sid, a)] = (1 - a) * mom_res.get((sid, a), 0.0) + a * r
            mom_cor[(sid, a)] = (1 - a) * mom_cor.get((sid, a), 0.0) + a * (2 * y - 1)
        last[sid] = 2 * y - 1
        streak[sid] = streak.get(sid, 0) + 1 if y else 0
        for s in skills:
            last_skill[(sid, s)] = 2 * y - 1
            skill_res[(sid, s)] = 0.7 * skill_res.get((sid, s), 0.0) + 0.3 * r
            v = rw_skill.setdefault((sid, s), [0.0, 0.0])
            v[0] = 0.8 * v[0] + y
            v[1] = 0.8 * v[1] + (1 - y)
            since_fail[(sid, s)] = 0 if not y else since_fail.get((sid, s), 0) + 1
        c = combo.setdefault((sid, skills), [0, 0])
        c[0 if y else 1] += 1
        c = seen_item.setdefault((sid, iid), [0, 0])
        c[0 if y else 1] += 1
        c = item_counts.setdefault(iid, [0, 0])
        c[0] += 1
        c[1] += int(y)
        item_res[iid] = 0.8 * item_res.get(iid, 0.0) + 0.2 * r
    return {k: np.asarray(v, dtype=np.float64) for k, v in cols.items()}


GROUPS: dict[str, list[str]] = {
    "components": ["c_ability", "c_offset", "c_gain", "c_diff"],
    "first_skill": ["first_skill"],
    "skill_counts": ["ln_skill_w", "ln_skill_f"],
    "all_counts": ["ln_all_w", "ln_all_f"],
    "momentum_res": [f"mom_res_{a}" for a in ALPHAS],
    "momentum_cor": [f"mom_cor_{a}" for a in ALPHAS],
    "last_any": ["last", "streak"],
    "last_skill": ["last_skill", "skill_res"],
    "combo": ["ln_combo_w", "ln_combo_f"],
    "same_item": ["item_seen_w", "item_seen_f"],
    "item_stats": ["item_rate", "ln_item_n", "item_res"],
    "recency_counts": ["rw_w", "rw_f", "since_fail"],
    "multi": ["multi"],
}


STORED = [
    "ln_all_w",
    "ln_all_f",
    "item_rate",
    "ln_item_n",
    "first_skill",
    "ln_skill_w",
    "ln_skill_f",
]
"""Features computable from what the store already keeps (counts on the student's, the
offsets' and the item-skills' rows), so usable without a migration."""


def cv_score(
    cols: dict[str, npt.NDArray[np.float64]],
    features: list[str],
    *,
    folds: int = 2,
    boosted: bool = False,
) -> tuple[float, float]:
    """AUC / log-loss of a logistic regression (or, `boosted`, gradient-boosted trees, to
    see what a non-linear use of the same features adds) on `features`, cross-validated
    over the scored users (folds by user)."""
    test = cols["test"] == 1.0
    x = np.column_stack([cols[f][test] for f in features])
    y = cols["y"][test]
    fold = (cols["student"][test] % folds).astype(int)
    p = np.empty_like(y)
    for k in range(folds):
        if boosted:
            model = HistGradientBoostingClassifier(
                max_iter=300, learning_rate=0.05, max_leaf_nodes=15, random_state=0
            )
        else:
            model = LogisticRegression(C=10.0, max_iter=2000)
        fit = model.fit(x[fold != k], y[fold != k])
        p[fold == k] = fit.predict_proba(x[fold == k])[:, 1]
    return roc_auc_score(y, p), log_loss(y, p)


def _fmt(scores: tuple[float, float]) -> str:
    return f"{scores[0]:.5f} / {scores[1]:.5f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="assistments09")
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args()
    if args.cache and args.cache.exists():
        loaded = np.load(args.cache)
        cols = {k: loaded[k] for k in loaded.files}
    else:
        cols = collect(load(args.dataset), ModelConfig())
        if args.cache:
            np.savez(args.cache, **cols)
    test = cols["test"] == 1.0
    y, p = cols["y"][test], cols["p"][test]
    print(f"production: {roc_auc_score(y, p):.5f} / {log_loss(y, p):.5f}")
    rows: list[tuple[str, list[str], bool]] = [("z alone (recalibrated)", ["z"], False)]
    everything = ["z"] + [f for g in GROUPS.values() for f in g]
    rows += [(f"z + {name}", ["z", *group], False) for name, group in GROUPS.items()]
    rows += [
        ("all", everything, False),
        ("z + stored counts", ["z", *STORED], False),
        ("z + stored counts + momentum", ["z", *STORED, *GROUPS["momentum_res"]], False),
        (
            "boosted trees, z + the model's own state",
            ["z", *GROUPS["components"], "first_skill", "ln_skill_w", "ln_skill_f"],
            True,
        ),
        ("boosted trees, all", everything, True),
    ]
    rows += [
        (f"all - {name}", [f for f in everything if f not in group], False)
        for name, group in GROUPS.items()
    ]
    for label, features, boosted in rows:
        print(f"{label}: {_fmt(cv_score(cols, features, boosted=boosted))}", flush=True)


if __name__ == "__main__":
    main()
