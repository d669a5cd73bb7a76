"""Unknown-signal detection: an out-of-distribution score per window from the model's logits,
a threshold fitted on known classes, and how detectors are measured (AUROC, FPR at 95 % TPR).

Scores grow with "unknown-ness":
- `msp`: 1 - the top calibrated probability (Hendrycks and Gimpel, arXiv:1610.02136);
- `energy`: -T logsumexp(logits / T) (Liu et al., "Energy-based Out-of-distribution Detection",
  arXiv:2010.03759);
- `mahalanobis`: the smallest class-conditional Mahalanobis distance of the logit vector, class
  means and one shared covariance fitted on known windows (after Lee et al., arXiv:1807.03888,
  on the logit layer so that its statistics fit in the bundle's metadata);
- `energy_mahalanobis`: ENERGY_WEIGHT x the energy score plus the rest x the Mahalanobis one,
  each standardized by its mean and spread on the known windows it was fitted on: energy sees
  how sure the model is, Mahalanobis where in logit space the window lies, and their errors differ.
"""
import numpy as np
from scipy.special import logsumexp, softmax
from scipy.stats import rankdata

from .calibration import fit_temperature

METHODS = ("msp", "energy", "mahalanobis", "energy_mahalanobis")
DEFAULT_METHOD = "energy"  # the best of the three on the open-set file (docs/open-set.md)
FALSE_REJECTION = 0.05  # share of known windows (SNR >= FIT_MIN_SNR_DB) the threshold calls unknown
FIT_MIN_SNR_DB = 10.0
ENERGY_WEIGHT = 0.7  # of energy_mahalanobis; chosen on one open-set file, reported on another (docs/open-set.md)


def scores(logits, method, temperature=1.0, stats=None):
    """OOD score (N,) for logits (N, C): higher means less like any known class."""
    z = np.asarray(logits, np.float64)
    if method == "msp":
        return 1.0 - softmax(z / temperature, axis=1).max(axis=1)
    if method == "energy":
        return -temperature * logsumexp(z / temperature, axis=1)
    if method == "mahalanobis":
        if stats is None:
            raise ValueError("the mahalanobis score needs its fitted statistics (means, precision)")
        means, precision = np.asarray(stats["means"]), np.asarray(stats["precision"])
        d = z[:, None, :] - means[None]  # (N, C, C)
        return np.einsum("nci,ij,ncj->nc", d, precision, d).min(axis=1)
    if method == "energy_mahalanobis":
        if stats is None or "standardize" not in stats:
            raise ValueError("the energy_mahalanobis score needs its fitted statistics (standardize); "
                             "fit the bundle's detector again (apps/calibrate.py)")
        (e_mean, e_std), (m_mean, m_std) = stats["standardize"]["energy"], stats["standardize"]["mahalanobis"]
        energy = (scores(z, "energy", temperature) - e_mean) / e_std
        return ENERGY_WEIGHT * energy + (1 - ENERGY_WEIGHT) * (scores(z, "mahalanobis", temperature, stats) - m_mean) / m_std
    raise ValueError(f"unknown OOD score {method!r}; use one of {', '.join(METHODS)}")


def mahalanobis_stats(logits, labels, n_classes):
    """Class means of the logit vectors and the precision of their shared (pooled) covariance."""
    z, labels = np.asarray(logits, np.float64), np.asarray(labels)
    missing = [c for c in range(n_classes) if not np.any(labels == c)]
    if missing:
        raise ValueError(f"no known windows of class(es) {missing} to fit the mahalanobis statistics on")
    means = np.stack([z[labels == c].mean(axis=0) for c in range(n_classes)])
    centred = z - means[labels]
    cov = centred.T @ centred / len(z)
    cov += 1e-6 * np.trace(cov) / len(cov) * np.eye(len(cov))  # logits sum-invariance makes it near-singular
    return {"means": means.tolist(), "precision": np.linalg.inv(cov).tolist()}


def fit_detector(logits, labels, snr_db, method, temperature=1.0):
    """The detector for the bundle's metadata: method, the mahalanobis statistics (kept whatever
    the method, so that every score can be compared on the bundle alone) and the threshold that
    calls FALSE_REJECTION of the known windows at SNR >= FIT_MIN_SNR_DB (or of unknown SNR) unknown."""
    if method not in METHODS:
        raise ValueError(f"unknown OOD score {method!r}; use one of {', '.join(METHODS)}")
    logits, labels = np.asarray(logits), np.asarray(labels)
    snr_db = np.asarray(snr_db, float)
    strong = np.isnan(snr_db) | (snr_db >= FIT_MIN_SNR_DB)
    if not strong.any():
        raise ValueError(f"no known windows at SNR >= {FIT_MIN_SNR_DB:g} dB to fit the unknown detector on")
    stats = mahalanobis_stats(logits[strong], labels[strong], logits.shape[1])
    stats["standardize"] = {m: _mean_spread(scores(logits[strong], m, temperature, stats))
                            for m in ("energy", "mahalanobis")}
    s = scores(logits[strong], method, temperature, stats)
    return {"method": method, "threshold": float(np.quantile(s, 1 - FALSE_REJECTION)), "stats": stats,
            "false_rejection": FALSE_REJECTION, "fit_min_snr_db": FIT_MIN_SNR_DB}


def _mean_spread(s):
    """[mean, standard deviation] of scores, the deviation kept above zero."""
    return [float(np.mean(s)), float(max(np.std(s), 1e-12))]


def methods_of(detector):
    """The scores a fitted detector's statistics can compute (bundles fitted before
    energy_mahalanobis existed lack its standardization)."""
    return tuple(m for m in METHODS if m != "energy_mahalanobis" or "standardize" in detector["stats"])


def fit_confidence(logits, labels, snr_db, method=DEFAULT_METHOD):
    """A bundle's confidence metadata from validation windows: {"temperature", "unknown_detector"}."""
    temperature = fit_temperature(logits, labels)
    return {"temperature": temperature, "unknown_detector": fit_detector(logits, labels, snr_db, method, temperature)}


def check_detector(detector, n_classes, where):
    """A ValueError naming `where` unless `detector` is a usable fitted detector for n_classes."""
    if not isinstance(detector, dict) or detector.get("method") not in METHODS:
        raise ValueError(f"{where}: field unknown_detector must name a method, one of {', '.join(METHODS)}")
    if not isinstance(detector.get("threshold"), (int, float)) or not np.isfinite(detector["threshold"]):
        raise ValueError(f"{where}: field unknown_detector needs a finite threshold")
    stats = detector.get("stats") if isinstance(detector.get("stats"), dict) else {}
    shapes = [np.shape(stats.get(k)) for k in ("means", "precision")]
    if shapes != [(n_classes, n_classes)] * 2:
        raise ValueError(f"{where}: field unknown_detector's statistics must be {n_classes} x {n_classes} means "
                         f"and precision, got shapes {shapes}")
    spreads = stats.get("standardize", {}) if isinstance(stats.get("standardize"), dict) else {}
    if detector["method"] == "energy_mahalanobis" and [np.shape(spreads.get(k)) for k in ("energy", "mahalanobis")] != [(2,)] * 2:
        raise ValueError(f"{where}: field unknown_detector's energy_mahalanobis needs statistics standardize "
                         "with [mean, spread] for energy and mahalanobis")


def auroc(known, unknown):
    """Area under the ROC curve for telling unknown (positive, higher score) from known windows."""
    known, unknown = np.asarray(known, float), np.asarray(unknown, float)
    if not len(known) or not len(unknown):
        raise ValueError("AUROC needs both known and unknown windows")
    ranks = rankdata(np.concatenate([known, unknown]))
    return float((ranks[len(known):].sum() - len(unknown) * (len(unknown) + 1) / 2) / (len(known) * len(unknown)))


def fpr_at_tpr(known, unknown, tpr=0.95):
    """Share of unknown windows accepted as known at the threshold that accepts `tpr` of the known."""
    threshold = np.quantile(np.asarray(known, float), tpr)
    return float(np.mean(np.asarray(unknown, float) <= threshold))


def evaluate(known, unknown_sets, detector, temperature=1.0, min_snr_db=FIT_MIN_SNR_DB):
    """The open-set report: for known windows and each named set of unknown ones, each given as
    (bundle.Scores, snr_db; NaN: no signal), every method's AUROC and FPR at 95 % TPR at SNR >=
    min_snr_db, and what the bundle's own decisions (its unknown and noise flags) made of them."""
    def strong(part):
        window_scores, snr = part
        snr = np.asarray(snr, float)
        return window_scores.rows(np.isnan(snr) | (snr >= min_snr_db))

    def decided(s):
        return {"n": len(s.noise), "reported_as_modulation": float(np.mean(~s.noise & ~s.unknown)),
                "reported_as_unknown": float(np.mean(s.unknown)), "reported_as_noise": float(np.mean(s.noise))}

    k = strong(known)
    methods = methods_of(detector)
    known_scores = {m: scores(k.logits, m, temperature, detector["stats"]) for m in methods}
    out = {"method": detector["method"], "min_snr_db": min_snr_db, "known": decided(k), "sets": {}}
    for name, part in unknown_sets.items():
        u = strong(part)
        entry = decided(u)
        for m in methods:
            s = scores(u.logits, m, temperature, detector["stats"])
            entry[m] = {"auroc": auroc(known_scores[m], s), "fpr_at_95_tpr": fpr_at_tpr(known_scores[m], s)}
        out["sets"][name] = entry
    return out
