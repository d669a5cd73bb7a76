"""Calibrated probabilities: temperature scaling (Guo et al., "On Calibration of Modern Neural
Networks", arXiv:1706.04599) fitted on a validation split, and how calibration is measured
(expected calibration error, reliability diagram).
"""
import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax

ECE_BINS = 15
TEMPERATURE_RANGE = (0.05, 20.0)


def fit_temperature(logits, labels):
    """The temperature T > 0 that minimizes the negative log-likelihood of softmax(logits / T)."""
    logits, labels = np.asarray(logits, np.float64), np.asarray(labels, np.int64)
    if len(logits) == 0:
        raise ValueError("no windows to fit a temperature on")

    def nll(log_t):
        return -np.mean(log_softmax(logits / np.exp(log_t), axis=1)[np.arange(len(labels)), labels])

    low, high = np.log(TEMPERATURE_RANGE)
    return float(np.exp(minimize_scalar(nll, bounds=(low, high), method="bounded").x))


def tempered(logits, temperature):
    """Class probabilities softmax(logits / T) as float32."""
    return softmax(np.asarray(logits, np.float64) / temperature, axis=1).astype(np.float32)


def reliability(probs, labels, bins=ECE_BINS):
    """Per confidence bin (equal width over [0, 1]): windows, mean confidence, accuracy."""
    probs = np.asarray(probs)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == np.asarray(labels)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    mean_conf = np.bincount(which, confidence, bins) / np.maximum(count, 1)
    acc = np.bincount(which, correct, bins) / np.maximum(count, 1)
    return {"count": count.tolist(), "confidence": mean_conf.tolist(), "accuracy": acc.tolist()}


def expected_calibration_error(probs, labels, bins=ECE_BINS):
    """ECE: the window-weighted mean |accuracy - confidence| over equal-width confidence bins."""
    table = reliability(probs, labels, bins)
    count = np.array(table["count"], float)
    gap = np.abs(np.array(table["accuracy"]) - np.array(table["confidence"]))
    return float(np.sum(count * gap) / max(count.sum(), 1))


def plot_reliability(named_tables, path, title):
    """Reliability diagram: accuracy against confidence per bin, one curve per (name, table, ece)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfectly calibrated")
    for name, table, ece in named_tables:
        used = np.array(table["count"]) > 0
        ax.plot(np.array(table["confidence"])[used], np.array(table["accuracy"])[used], marker="o", ms=3,
                label=f"{name} (ECE {100 * ece:.2f} %)")
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
