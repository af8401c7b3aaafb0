#!/usr/bin/python3
"""sklearn_iforest.py: scikit-learn's IsolationForest as fs-score's peer.

usage: sklearn_iforest.py MODEL.json TRAIN.ndjson TEST.ndjson OUT [--time]

Trains sklearn.ensemble.IsolationForest on TRAIN with what fs-score's
MODEL says: the same features (nulls imputed with the model's training
medians, flight_phase coded GROUND=1 .. LEVEL=5 as fs-score does), the
same number of trees and subsample size, and the model's seed as
random_state. Writes -score_samples(TEST), the score s(x, psi) in [0, 1]
of Liu et al. (scikit-learn negates it), one per line, to OUT.

With --time it prints, on stdout, the number of rows and the CPU
seconds score_samples took on them (no JSON parsing), on one core.
Run it with /usr/bin/python3, Debian's, which has python3-sklearn.
"""
import json
import os
import sys
import time

# One core, as fs-score: before numpy is loaded.
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"

import numpy as np  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402

PHASES = {"GROUND": 1, "CLIMB": 2, "DESCENT": 3, "CRUISE": 4, "LEVEL": 5}


def value(v):
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and v in PHASES:
        return float(PHASES[v])
    return float("nan")


def matrix(path, names, medians):
    rows = []
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if not isinstance(r, dict):
                continue
            rows.append([value(r.get(n)) for n in names])
    x = np.array(rows, dtype=np.float64).reshape(-1, len(names))
    nan = np.isnan(x)
    x[nan] = np.take(medians, np.nonzero(nan)[1])
    return x


def main():
    args = [a for a in sys.argv[1:] if a != "--time"]
    if len(args) != 4:
        sys.exit(__doc__)
    with open(args[0], encoding="utf-8") as fp:
        model = json.load(fp)
    names = [f["name"] for f in model["features"]]
    medians = np.array([f["median"] for f in model["features"]], dtype=np.float64)
    xtrain = matrix(args[1], names, medians)
    xtest = matrix(args[2], names, medians)
    forest = IsolationForest(n_estimators=model["trees"],
                             max_samples=min(model["sample"], len(xtrain)),
                             random_state=model["seed"] % (2 ** 32), n_jobs=1)
    forest.fit(xtrain)
    t0 = time.process_time()
    s = -forest.score_samples(xtest)
    t = time.process_time() - t0
    np.savetxt(args[3], s, fmt="%.6f")
    if "--time" in sys.argv:
        print("%d %.6f" % (len(xtest), t))


if __name__ == "__main__":
    main()
