#!/usr/bin/python3
"""eval.py: detection quality of fs-score on labelled records.

usage: eval.py [--auc] SCORED.ndjson [SKLEARN_SCORES]

With --auc only one line is printed: the AUC of fs-score and (when
SKLEARN_SCORES is given) of scikit-learn, physical faults against clean.

SCORED is fs-score's output for records that carry the simulator's
"truth" labels (fs-produce sim --faults ... --truth | fs-clean). The
labels are the ground truth; fs-score never reads them.

Definitions (printed with the results):
  physical faults   jump, spike, speed, squawk (the issue's list)
  clean             a record without "truth"
  overall           is_anomaly against "has a physical fault"; records
                    whose only labels are other faults (null, ooo, late,
                    frozen) are left out of it, and reported apart
  per type T        TP = records carrying T flagged is_anomaly;
                    FN = records carrying T not flagged;
                    FP = records not carrying T flagged with T's own
                    evidence (jump: position_jump, spike: altitude_spike,
                    speed: impossible_speed, squawk: squawk_7500/7600/7700,
                    frozen: stuck_position). iforest-only false alarms are
                    no type's, and count in the overall precision.
  AUC               ROC AUC of anomaly_score (the Isolation Forest alone),
                    physical faults against clean records, ties counted half.

SKLEARN_SCORES, when given, is one score per line (scikit-learn's
-score_samples, in the same order), and its AUC is printed beside.
Only the standard library is used.
"""
import json
import sys

PHYSICAL = ["jump", "spike", "speed", "squawk"]
OTHERS = ["frozen", "null", "ooo", "late"]
EVIDENCE = {
    "jump": {"position_jump"},
    "spike": {"altitude_spike"},
    "speed": {"impossible_speed"},
    "squawk": {"squawk_7500", "squawk_7600", "squawk_7700"},
    "frozen": {"stuck_position"},
}


def auc(pos, neg):
    """ROC AUC by ranks (Mann-Whitney U), ties counted half."""
    if not pos or not neg:
        return float("nan")
    allv = sorted([(v, 1) for v in pos] + [(v, 0) for v in neg])
    rank_sum = 0.0
    i = 0
    n = len(allv)
    while i < n:
        j = i
        while j < n and allv[j][0] == allv[i][0]:
            j += 1
        mid = (i + 1 + j) / 2.0
        rank_sum += mid * sum(1 for k in range(i, j) if allv[k][1])
        i = j
    npos = len(pos)
    return (rank_sum - npos * (npos + 1) / 2.0) / (npos * len(neg))


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    f = 2 * p * r / (p + r) if p + r else float("nan")
    return p, r, f


def main():
    only_auc = "--auc" in sys.argv
    if only_auc:
        sys.argv.remove("--auc")
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    recs = []
    with open(sys.argv[1], encoding="utf-8") as fp:
        for line in fp:
            r = json.loads(line)
            recs.append((set(r.get("truth") or []), bool(r["is_anomaly"]),
                         set(r["anomaly_reasons"]), float(r["anomaly_score"])))
    peer = None
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as fp:
            peer = [float(x) for x in fp]
        if len(peer) != len(recs):
            sys.exit("eval.py: %d peer scores for %d records" % (len(peer), len(recs)))
    clean = [i for i, r in enumerate(recs) if not r[0]]
    phys = [i for i, r in enumerate(recs) if r[0] & set(PHYSICAL)]
    if only_auc:
        a = auc([recs[i][3] for i in phys], [recs[i][3] for i in clean])
        pa = auc([peer[i] for i in phys], [peer[i] for i in clean]) if peer else float("nan")
        print("%.6f %.6f" % (a, pa))
        return
    print("records %d, clean %d, with a physical fault %d" % (len(recs), len(clean), len(phys)))
    print("%-10s %7s %9s %9s %9s" % ("fault", "records", "precision", "recall", "F1"))
    worst = 1.0
    for t in PHYSICAL + OTHERS:
        carry = [r for r in recs if t in r[0]]
        tp = sum(1 for r in carry if r[1])
        fn = len(carry) - tp
        if t in EVIDENCE:
            fp = sum(1 for r in recs if t not in r[0] and r[1] and r[2] & EVIDENCE[t])
            p, rc, f = prf(tp, fp, fn)
            print("%-10s %7d %9.4f %9.4f %9.4f" % (t, len(carry), p, rc, f))
            if t in PHYSICAL:
                worst = min(worst, f)
        else:
            print("%-10s %7d %9s %9.4f %9s   (no evidence of its own: share flagged)"
                  % (t, len(carry), "-", tp / len(carry) if carry else float("nan"), "-"))
    tp = sum(1 for i in phys if recs[i][1])
    fp = sum(1 for i in clean if recs[i][1])
    p, rc, f = prf(tp, fp, len(phys) - tp)
    print("%-10s %7d %9.4f %9.4f %9.4f   (is_anomaly: physical faults against clean records)"
          % ("overall", len(phys) + len(clean), p, rc, f))
    anyl = [i for i, r in enumerate(recs) if r[0]]
    tp2 = sum(1 for i in anyl if recs[i][1])
    p2, rc2, f2 = prf(tp2, fp, len(anyl) - tp2)
    print("%-10s %7d %9.4f %9.4f %9.4f   (is_anomaly: every fault against clean records)"
          % ("all", len(recs), p2, rc2, f2))
    tpi = sum(1 for i in phys if "iforest" in recs[i][2])
    fpi = sum(1 for i in clean if "iforest" in recs[i][2])
    pi, ri, fi = prf(tpi, fpi, len(phys) - tpi)
    print("%-10s %7d %9.4f %9.4f %9.4f   (the iforest threshold alone)"
          % ("iforest", len(phys) + len(clean), pi, ri, fi))
    a = auc([recs[i][3] for i in phys], [recs[i][3] for i in clean])
    a_all = auc([recs[i][3] for i in anyl], [recs[i][3] for i in clean])
    print("ROC AUC of anomaly_score (iforest alone): physical %.4f, every fault %.4f" % (a, a_all))
    print("worst physical-fault F1: %.4f (target 0.95: %s)" % (worst, "met" if worst >= 0.95 else "NOT MET"))
    if peer is not None:
        pa = auc([peer[i] for i in phys], [peer[i] for i in clean])
        pa_all = auc([peer[i] for i in anyl], [peer[i] for i in clean])
        print("ROC AUC of scikit-learn IsolationForest: physical %.4f, every fault %.4f" % (pa, pa_all))
        d = abs(a - pa)
        print("AUC difference, fs-score - scikit-learn: %+.4f (target within 0.01: %s)"
              % (a - pa, "met" if d <= 0.01 else "NOT MET"))


if __name__ == "__main__":
    main()
