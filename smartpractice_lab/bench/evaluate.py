"""Benchmark: `smartpractice evaluate` on the full assistments09 split, all models but BKT.

The target: the whole run (reading both files, every model's replay) under 5 s on the
2-core development machine. Prints one JSON line: the seconds of reading the data, of each
model (fit on the train users plus predicting the test users, as `evaluate` reports them),
and of the whole run, measured in this process exactly as `evaluate` runs them.

    python -m smartpractice_lab.bench.evaluate [--data-dir ../shared/data/assistments09] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from smartpractice.core.config import ModelConfig
from smartpractice_lab.evaluation.runner import default_jobs, run_evaluation
from smartpractice_lab.evaluation.sources import from_train_and_test

MODELS = ("smartpractice", "elo", "customer_sketch", "irt_1pl")
TARGET_SECONDS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "assistments09",
        help="Folder with preprocessed_data_train.csv, preprocessed_data_test.csv, q_mat.npz.",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=0,
        help="Processes for the models, as `evaluate --jobs` (0, the default: one per core).",
    )
    parser.add_argument("--json", action="store_true", help="Print only the JSON line.")
    args = parser.parse_args()
    started = time.perf_counter()
    data = from_train_and_test(
        args.data_dir / "preprocessed_data_train.csv", args.data_dir / "preprocessed_data_test.csv"
    )
    read_seconds = time.perf_counter() - started
    jobs = args.jobs or default_jobs()
    result = run_evaluation(data, models=MODELS, config=ModelConfig(), jobs=jobs)
    total = time.perf_counter() - started
    metrics = result.metrics()
    document = {
        "benchmark": "evaluate assistments09, all models but bkt",
        "rows": len(data.train) + len(data.test),
        "read_seconds": round(read_seconds, 2),
        "model_seconds": {run.name: round(run.seconds, 2) for run in result.runs},
        "total_seconds": round(total, 2),
        "jobs": jobs,
        "target_seconds": TARGET_SECONDS,
        "auc": {name: round(m.auc, 4) for name, m in metrics.items()},
    }
    if not args.json:
        print(f"evaluate on {document['rows']} rows: {total:.1f} s (target {TARGET_SECONDS} s)")
    print(json.dumps(document))


if __name__ == "__main__":
    main()
