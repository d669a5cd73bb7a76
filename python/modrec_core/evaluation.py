"""Evaluation the way the papers report it: accuracy per SNR, confusion matrices, per-class scores."""
import json
import os

import numpy as np


def map_labels(data_names, bundle_names, where):
    """Index of each data-set class in a bundle's labels; a clear error for classes it does not know."""
    unknown = [n for n in data_names if n not in bundle_names]
    if unknown:
        raise ValueError(f"{where}: classes {unknown} are unknown to the bundle (it knows {list(bundle_names)})")
    return np.array([list(bundle_names).index(n) for n in data_names], np.int64)


def confusion(true, pred, n):
    """Counts (n, n): rows true class, columns predicted."""
    return np.bincount(true * n + pred, minlength=n * n).reshape(n, n)


def accuracy(scores, labels):
    """Share of windows whose highest score (probability or logit, (N, C)) is at the true label."""
    return float(np.mean(np.argmax(scores, axis=1) == np.asarray(labels)))


def report(probs, labels, snr_db, label_names):
    """The report.json content for class probabilities (N, C) against true labels and SNRs."""
    n = len(label_names)
    if not len(labels):
        raise ValueError("no examples to evaluate")
    pred = np.argmax(probs, axis=1)
    labels = np.asarray(labels, np.int64)
    snr_db = np.asarray(snr_db, np.float32)
    correct = pred == labels
    cm = confusion(labels, pred, n)
    tp = np.diag(cm).astype(float)
    precision = np.divide(tp, cm.sum(0), out=np.zeros(n), where=cm.sum(0) > 0)
    recall = np.divide(tp, cm.sum(1), out=np.zeros(n), where=cm.sum(1) > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(n), where=precision + recall > 0)
    per_snr, cm_snr = {}, {}
    for s in np.unique(snr_db[np.isfinite(snr_db)]):
        rows = snr_db == s
        per_snr[_key(s)] = float(correct[rows].mean())
        cm_snr[_key(s)] = confusion(labels[rows], pred[rows], n).tolist()
    peak = max(per_snr, key=per_snr.get) if per_snr else None
    return {
        "labels": list(label_names),
        "examples": int(len(labels)),
        "overall_accuracy": float(correct.mean()),
        "accuracy_per_snr": per_snr,
        "mean_accuracy_over_snr": float(np.mean(list(per_snr.values()))) if per_snr else None,
        "peak_accuracy": per_snr[peak] if peak else None,
        "peak_snr_db": float(peak) if peak else None,
        "per_class": {name: {"precision": float(precision[k]), "recall": float(recall[k]), "f1": float(f1[k]),
                             "support": int(cm[k].sum())} for k, name in enumerate(label_names)},
        "confusion": cm.tolist(),
        "confusion_per_snr": cm_snr,
    }


def _key(snr):
    return f"{float(snr):g}"


def write_report(rep, out_dir, title):
    """report.json plus accuracy-vs-SNR and confusion-matrix PNGs in out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(rep, f, indent=1)
    plot_accuracy([(title, rep)], os.path.join(out_dir, "accuracy_vs_snr.png"))
    plot_confusion(np.array(rep["confusion"]), rep["labels"], f"{title}: all SNRs",
                   os.path.join(out_dir, "confusion.png"))
    if rep["peak_snr_db"] is not None:
        peak = _key(rep["peak_snr_db"])
        plot_confusion(np.array(rep["confusion_per_snr"][peak]), rep["labels"], f"{title}: {peak} dB",
                       os.path.join(out_dir, "confusion_peak_snr.png"))


def plot_accuracy(named_reports, path):
    """Accuracy vs SNR curves, one per (name, report)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, rep in named_reports:
        snrs = sorted(rep["accuracy_per_snr"], key=float)
        ax.plot([float(s) for s in snrs], [100 * rep["accuracy_per_snr"][s] for s in snrs], marker="o", ms=3,
                label=f"{name} ({100 * rep['overall_accuracy']:.1f}%)")
    ax.set_xlabel("SNR (dB)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion(cm, labels, title, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1 + 0.45 * len(labels), 1 + 0.4 * len(labels)))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
