"""Per-window input checks and normalizations shared by data sets, training and inference."""
import numpy as np

NORMALIZATIONS = ("maxmin", "unit_power", "l2", "none")


def normalize(iq, method):
    """Normalize float (N, 2, L) windows: 'maxmin' per channel to [-1, 1] (Sig2019-12),
    'unit_power' to mean |x|^2 = 1, 'l2' to unit L2 norm, 'none' unchanged."""
    iq = np.asarray(iq, np.float32)
    if iq.ndim != 3 or iq.shape[1] != 2:
        raise ValueError(f"expected windows of shape (N, 2, L), got {iq.shape}")
    eps = np.float32(1e-12)
    if method == "maxmin":
        lo, hi = iq.min(axis=2, keepdims=True), iq.max(axis=2, keepdims=True)
        return (iq - lo) / np.maximum(hi - lo, eps) * 2 - 1
    if method == "unit_power":
        return iq / np.sqrt(np.maximum(np.mean(np.sum(iq * iq, axis=1), axis=1), eps))[:, None, None]
    if method == "l2":
        return iq / np.sqrt(np.maximum(np.sum(iq * iq, axis=(1, 2)), eps))[:, None, None]
    if method == "none":
        return iq
    raise ValueError(f"unknown normalization {method!r}; use one of {', '.join(NORMALIZATIONS)}")


def check_samples(iq, where):
    """Refuse windows a model cannot learn or be scored on: NaN/inf samples, or all zeros (silence)."""
    if not np.all(np.isfinite(iq)):
        raise ValueError(f"{where} contains NaN or infinite values")
    silent = np.flatnonzero(~iq.reshape(len(iq), -1).any(axis=1))
    if len(silent):
        raise ValueError(f"{where} has {len(silent)} window(s) of all zeros (silence, no signal to "
                         f"classify), first at row {silent[0]}: remove them")
