"""The project's interchange format (HDF5, see docs/datasets.md) and its in-memory form."""
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from . import __version__
from .normalize import check_samples
from .synthesis import get_preset, synthesize
from .synthesis import streams
from .synthesis.streams import BLOCK

FORMAT_VERSION = 1
SPLITS = ("train", "val", "test")
SPLIT_SHARES = (0.6, 0.2, 0.2)
CHUNK = 16 * BLOCK  # examples generated and written per step (a whole number of stream blocks)


@dataclass
class Dataset:
    """Windows in memory: iq float32 (N, 2, L), labels int64, snr_db float32, class names."""

    iq: np.ndarray
    labels: np.ndarray
    snr_db: np.ndarray
    label_names: list
    params: dict = field(default_factory=dict)
    split: np.ndarray = None  # uint8 index into SPLITS, or None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.iq)
        if self.iq.ndim != 3 or self.iq.shape[1] != 2:
            raise ValueError(f"iq must have shape (N, 2, L), got {self.iq.shape}")
        for name, arr in (("labels", self.labels), ("snr_db", self.snr_db)):
            if len(arr) != n:
                raise ValueError(f"{name} has {len(arr)} entries for {n} windows")
        if n and (self.labels.min() < 0 or self.labels.max() >= len(self.label_names)):
            raise ValueError(f"labels must index the {len(self.label_names)} class names")
        repeated = sorted({x for x in self.label_names if list(self.label_names).count(x) > 1})
        if repeated:
            raise ValueError(f"class names must be distinct; repeated: {repeated}")

    def subset(self, rows):
        """The examples at `rows` (indices or a boolean mask)."""
        return Dataset(self.iq[rows], self.labels[rows], self.snr_db[rows], self.label_names,
                       {k: v[rows] for k, v in self.params.items()},
                       None if self.split is None else self.split[rows], self.meta)

    def part(self, name):
        """One stored split ('train', 'val', 'test'); the whole set when no split is stored."""
        if self.split is None:
            return self
        return self.subset(self.split == SPLITS.index(name))


def balanced_design(n_classes, snr_levels, per_class_snr):
    """Class and SNR for every example: exactly per_class_snr of each pair, interleaved."""
    return design_at(np.arange(n_classes * len(snr_levels) * per_class_snr), n_classes, snr_levels)


def design_at(indices, n_classes, snr_levels):
    """Class and SNR of examples at `indices` of the interleaved balanced design."""
    i = np.asarray(indices, np.int64)
    return i % n_classes, np.asarray(snr_levels, np.float32)[(i // n_classes) % len(snr_levels)]


def strata(labels, snr_db):
    """One int64 key per example for its (class, SNR) group (a missing SNR is a group of its own)."""
    return np.asarray(labels, np.int64) * 1000 + np.nan_to_num(np.asarray(snr_db, np.float64), nan=-999).astype(np.int64)


def stratified_split(labels, snr_db, seed):
    """The 6:2:2 train/val/test split (uint8 index into SPLITS) of every (class, SNR) group:
    floor(share x size) rows each, the rest to train, shuffled within the group by `seed`."""
    _, first, inverse = np.unique(strata(labels, snr_db), return_index=True, return_inverse=True)
    rng = streams.generator(seed, streams.SPLIT_KEY)
    split = np.zeros(len(inverse), np.uint8)
    for group in np.argsort(first):  # groups in order of first appearance
        rows = np.flatnonzero(inverse == group)
        counts = np.floor(np.asarray(SPLIT_SHARES) * len(rows)).astype(int)
        counts[0] += len(rows) - counts.sum()
        split[rows] = rng.permuted(np.repeat(np.arange(3, dtype=np.uint8), counts))
    return split


def check_fits_in_memory(nbytes, where, share=0.5):
    """Refuse to build arrays of `nbytes` that would take more than `share` of the memory this
    machine has free (a file that declares 1e8 rows is refused, not run out of memory on)."""
    free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    if nbytes > share * free:
        raise ValueError(f"{where}: needs {nbytes / 1e9:.1f} GB in memory, more than half of the "
                         f"{free / 1e9:.1f} GB free here; read a smaller file or part of it")


def check_per_class_snr(per_class_snr):
    """Refuse data sets too small for the 60/20/20 split to hold every (class, SNR) pair in each part."""
    if per_class_snr < 5:
        raise ValueError(f"per_class_snr must be at least 5 so every split gets examples of each pair, "
                         f"got {per_class_snr}")


def write_synthetic(path, preset_name, per_class_snr, seed, progress=None, workers=2, length=None):
    """Synthesize a balanced, split data set of a preset (at `length`-sample windows; None: the
    preset's) into an HDF5 file. Every argument is checked before anything is written; the file is
    written beside `path` and renamed onto it only when complete, so an existing file survives a
    bad argument or a killed run."""
    preset = get_preset(preset_name)
    preset = preset if length is None else preset.with_length(length)
    check_per_class_snr(per_class_snr)
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    if not (isinstance(workers, (int, np.integer)) and workers >= 1):
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{path}: folder {folder} does not exist")
    tmp = f"{path}.partial"
    try:
        n = _write_synthetic(tmp, preset, per_class_snr, seed, progress, workers)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return n


def _write_synthetic(path, preset, per_class_snr, seed, progress, workers):
    import h5py

    labels, snr = balanced_design(len(preset.classes), preset.snr_levels, per_class_snr)
    n = len(labels)
    with h5py.File(path, "w") as f:
        f.attrs["complete"] = False
        iq = f.create_dataset("iq", (n, 2, preset.length), np.float32, chunks=(min(n, 256), 2, preset.length))
        f["label"], f["snr_db"] = labels, snr
        f["split"] = stratified_split(labels, snr, seed)
        _write_attrs(f, preset, seed)
        params = None

        def make(start):
            return start, synthesize(preset, labels[start:start + CHUNK], snr[start:start + CHUNK], seed, first=start)

        for start, batch in _ordered(make, range(0, n, CHUNK), workers):
            iq[start:start + len(batch.labels)] = batch.iq()
            if params is None:
                params = {k: f.create_dataset(k, (n, *v.shape[1:]), v.dtype) for k, v in batch.params.items()
                          if k != "snr_db"}
            for k, dset in params.items():
                dset[start:start + len(batch.labels)] = batch.params[k]
            if progress:
                progress(len(batch.labels))
        f.attrs["complete"] = True
    return n


def write(path, data, attrs=None):
    """Write an in-memory Dataset (no split) in the project's HDF5 format, beside `path` first and
    renamed onto it when complete; `attrs` become file attributes."""
    import h5py

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{path}: folder {folder} does not exist")
    tmp = f"{path}.partial"
    try:
        with h5py.File(tmp, "w") as f:
            f["iq"], f["label"], f["snr_db"] = data.iq.astype(np.float32), data.labels, data.snr_db.astype(np.float32)
            for k, v in data.params.items():
                f[k] = v
            f.attrs.update({"format_version": FORMAT_VERSION, "labels": json.dumps(list(data.label_names)),
                            "normalization": "none", "code_version": __version__, **(attrs or {})})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _ordered(fn, items, workers):
    """fn over items on a thread pool, results in order, at most 2 * workers in flight."""
    items = list(items)
    with ThreadPoolExecutor(workers) as pool:
        pending = [pool.submit(fn, it) for it in items[:2 * workers]]
        for k in range(len(items)):
            yield pending[k].result()
            pending[k] = None
            if k + 2 * workers < len(items):
                pending.append(pool.submit(fn, items[k + 2 * workers]))


def _write_attrs(f, preset, seed):
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["labels"] = json.dumps(preset.labels)
    f.attrs["preset"] = preset.name
    f.attrs["seed"] = int(seed)
    f.attrs["samples_per_symbol"] = preset.sps
    f.attrs["snr_levels"] = json.dumps(list(preset.snr_levels))
    f.attrs["split_names"] = json.dumps(list(SPLITS))
    f.attrs["normalization"] = "none"
    f.attrs["code_version"] = __version__


def open_hdf5(path, required, layout):
    """An open h5py File holding the `required` datasets, or a ValueError naming what is wrong."""
    import h5py

    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{path}: not a readable HDF5 file ({e})") from None
    missing = [name for name in required if name not in f]
    if missing:
        f.close()
        raise ValueError(f"{path}: missing dataset '{missing[0]}' ({layout})")
    return f


def read(path, split=None):
    """Load a file in the project's HDF5 format (optionally one split) into a Dataset."""
    with open_hdf5(path, ("iq", "label", "snr_db"), "project HDF5 format, see docs/datasets.md") as f:
        if not f.attrs.get("complete", True):
            raise ValueError(f"{path}: an unfinished data set (its writer stopped before the end); make it again")
        if "labels" not in f.attrs:
            raise ValueError(f"{path}: missing attribute 'labels' (JSON list of class names)")
        try:
            names = json.loads(f.attrs["labels"])
        except (TypeError, ValueError):
            raise ValueError(f"{path}: attribute 'labels' is not a JSON list of class names") from None
        split_arr = f["split"][:] if "split" in f else None
        mask = np.ones(len(f["label"]), bool)
        if split is not None:
            if split_arr is None:
                raise ValueError(f"{path}: has no 'split' dataset, cannot select split {split!r}")
            if split not in SPLITS:
                raise ValueError(f"unknown split {split!r}; use one of {SPLITS}")
            mask = split_arr == SPLITS.index(split)
            split_arr = split_arr[mask]
        for k in f.keys():
            if len(f[k]) != len(mask):
                raise ValueError(f"{path}: dataset '{k}' has {len(f[k])} rows, 'label' has {len(mask)}")
        check_fits_in_memory(int(mask.sum()) * int(np.prod(f["iq"].shape[1:])) * 4, f"{path}: dataset 'iq'")
        labels = _integer_labels(f["label"], path)
        skip = {"iq", "label", "snr_db", "split"}
        params = {k: _masked(f[k], mask) for k in f.keys() if k not in skip}
        meta = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        iq = _masked(f["iq"], mask)
        labels, snr = labels[mask], _masked(f["snr_db"], mask).astype(np.float32)
    if iq.ndim != 3 or iq.shape[1] != 2:
        raise ValueError(f"{path}: dataset 'iq' must have shape (N, 2, L), has {iq.shape}")
    check_samples(iq, f"{path}: dataset 'iq'")
    return Dataset(iq.astype(np.float32), labels, snr, list(names), params, split_arr, meta)


def _integer_labels(dset, path):
    """The 'label' dataset as int64; floats only where every value is a whole number."""
    raw = dset[:]
    if raw.ndim != 1:
        raise ValueError(f"{path}: dataset 'label' must be one class index per row, has shape {raw.shape}")
    if raw.dtype.kind == "f" and not np.all(np.isfinite(raw) & (raw == np.round(raw))):
        bad = np.flatnonzero(~(np.isfinite(raw) & (raw == np.round(raw))))
        raise ValueError(f"{path}: dataset 'label' holds {len(bad)} values that are not class indices "
                         f"(first: row {bad[0]} = {raw[bad[0]]})")
    if raw.dtype.kind not in "fiu":
        raise ValueError(f"{path}: dataset 'label' must hold integer class indices, has dtype {raw.dtype}")
    return raw.astype(np.int64)


def _masked(dset, mask, rows_per_read=65536):
    """dset[mask] read in slabs (h5py's own fancy indexing is slow for large masks)."""
    out = np.empty((int(mask.sum()), *dset.shape[1:]), dset.dtype)
    k = 0
    for start in range(0, len(mask), rows_per_read):
        m = mask[start:start + rows_per_read]
        if m.any():
            part = dset[start:start + len(m)][m]
            out[k:k + len(part)] = part
            k += len(part)
    return out
