"""Loaders for public AMR data formats into the in-memory Dataset (RML2016, RML2018, SigMF)."""
import io
import json
import os
import pickle
import warnings

import numpy as np

from .dataset import Dataset, check_fits_in_memory, open_hdf5
from .normalize import check_samples

# RML2018.01a's classes in the order of its one-hot labels (the order users found to be right;
# the classes.txt shipped with the set lists another order).
RML2018_LABELS = ["OOK", "4ASK", "8ASK", "BPSK", "QPSK", "8PSK", "16PSK", "32PSK", "16APSK", "32APSK",
                  "64APSK", "128APSK", "16QAM", "32QAM", "64QAM", "128QAM", "256QAM", "AM-SSB-WC",
                  "AM-SSB-SC", "AM-DSB-WC", "AM-DSB-SC", "FM", "GMSK", "OQPSK"]


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that builds numpy arrays of numbers and plain containers, refuses every other
    global, and caps the bytes it creates at the file's own size (a small pickle that encodes one
    memoized string a thousand times is refused, not run out of memory on)."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),  # protocol 5
        ("copy_reg", "_reconstructor"), ("copyreg", "_reconstructor"),
        ("__builtin__", "object"), ("builtins", "object"),
    }

    def __init__(self, data, **kwargs):
        super().__init__(io.BytesIO(data), **kwargs)
        self._budget = len(data)

    def find_class(self, module, name):
        if (module, name) == ("_codecs", "encode"):  # how protocol-2 pickles store array bytes
            return self._encode
        if (module, name) == ("numpy", "dtype"):
            return _numeric_dtype
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays are allowed")
        return super().find_class(module, name)

    def _encode(self, text, encoding="utf-8", *args):
        self._budget -= len(text)
        if self._budget < 0:
            raise pickle.UnpicklingError("the pickle expands to more bytes than the file holds (a memo bomb)")
        import codecs

        return codecs.encode(text, encoding, *args)


def _numeric_dtype(spec, *args):
    """numpy.dtype for pickles, numbers only: object arrays could hold anything."""
    dtype = np.dtype(spec, *args)
    if dtype.hasobject:
        raise pickle.UnpicklingError(f"refusing a {dtype} array: only numeric arrays are allowed")
    return dtype


def load_rml2016(path):
    """RML2016.10a/b pickle: dict (mod, snr) -> float32 (n, 2, L), read without running code."""
    check_fits_in_memory(2 * os.path.getsize(path), path)
    try:
        with open(path, "rb") as f:
            data = _NumpyOnlyUnpickler(f.read(), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
        raise ValueError(f"{path}: not an RML2016 pickle ({e.__class__.__name__}: {str(e)[:160]})") from None
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: expected a non-empty dict of (modulation, snr) -> array")
    for key, arr in data.items():
        if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], (str, bytes))):
            raise ValueError(f"{path}: key {key!r} is not a (modulation, snr) pair")
        if not isinstance(arr, np.ndarray) or arr.ndim != 3 or arr.shape[1] != 2:
            raise ValueError(f"{path}: entry {key!r} is not an (n, 2, L) array")
    lengths = {arr.shape[2] for arr in data.values()}
    if len(lengths) != 1:
        raise ValueError(f"{path}: entries have different window lengths {sorted(lengths)}")
    check_fits_in_memory(sum(arr.size for arr in data.values()) * 4, path)  # arrays may share one buffer
    names = sorted({_text(k[0]) for k in data})
    keys = sorted(data, key=lambda k: (_text(k[0]), int(k[1])))
    iq = np.concatenate([data[k] for k in keys]).astype(np.float32)
    labels = np.concatenate([np.full(len(data[k]), names.index(_text(k[0]))) for k in keys])
    snr = np.concatenate([np.full(len(data[k]), float(k[1]), np.float32) for k in keys])
    return _checked(Dataset(iq, labels.astype(np.int64), snr, names, meta={"source": "rml2016"}), path)


def load_rml2018(path, labels=None):
    """RML2018.01a HDF5: X (N, L, 2), Y one-hot (N, C), Z SNR (N, 1)."""
    names = list(labels or RML2018_LABELS)
    with open_hdf5(path, ("X", "Y", "Z"), "RML2018 files have X, Y, Z") as f:
        check_fits_in_memory(2 * int(np.prod(f["X"].shape)) * 4, f"{path}: dataset X")
        x, y, z = f["X"][:], f["Y"][:], f["Z"][:]
    if x.ndim != 3 or x.shape[2] != 2:
        raise ValueError(f"{path}: X must have shape (N, L, 2), has {x.shape}")
    if y.shape != (len(x), len(names)):
        raise ValueError(f"{path}: Y must have shape ({len(x)}, {len(names)}) one-hot, has {y.shape}")
    if len(z) != len(x):
        raise ValueError(f"{path}: Z has {len(z)} rows for {len(x)} examples")
    iq = np.ascontiguousarray(x.transpose(0, 2, 1), np.float32)
    ds = Dataset(iq, np.argmax(y, axis=1).astype(np.int64), np.asarray(z, np.float32).reshape(-1), names,
                 meta={"source": "rml2018"})
    return _checked(ds, path)


_SIGMF_TYPES = {"cf32_le": ("<f4", 1.0), "ci16_le": ("<i2", 32768.0), "ci8": ("i1", 128.0),
                "cu8": ("u1", None)}


def load_sigmf(path, length, label_field="core:label", labels=None):
    """SigMF recording (.sigmf-meta path, or a folder of them): each annotation whose `label_field`
    names a class is cut into non-overlapping windows of `length` samples."""
    metas = _sigmf_metas(path)
    windows, classes, snrs, open_ended = [], [], [], 0
    for meta_path in metas:
        x, annotations = _read_sigmf(meta_path)
        for k, a in enumerate(annotations):
            if not isinstance(a, dict):
                raise ValueError(f"{meta_path}: annotation {k} is not a JSON object")
            name = a.get(label_field)
            if name is None:
                continue
            if a.get("core:sample_count") is None:
                open_ended += 1
                continue
            start, count = (_sigmf_count(a, key, k, meta_path) for key in ("core:sample_start", "core:sample_count"))
            snr = a.get("modrec:snr_db", np.nan)
            if not isinstance(name, str) or not isinstance(snr, (int, float)) or isinstance(snr, bool):
                raise ValueError(f"{meta_path}: annotation {k}: '{label_field}' must be a string and "
                                 f"'modrec:snr_db' a number, got {name!r} and {snr!r}")
            if start + count > len(x):
                raise ValueError(f"{meta_path}: annotation [{start}, {start + count}) runs past the "
                                 f"recording's {len(x)} samples")
            n = count // length
            if n:
                seg = x[start:start + n * length].reshape(n, length)
                windows.append(seg)
                classes += [name] * n
                snrs += [float(snr)] * n
    if open_ended:
        warnings.warn(f"{path}: {open_ended} annotation(s) with '{label_field}' but no core:sample_count skipped "
                      f"(their extent is unknown)", stacklevel=2)
    if not windows:
        raise ValueError(f"{path}: no annotation with '{label_field}' spans a {length}-sample window")
    names = list(labels) if labels else sorted(set(classes))
    unknown = sorted(set(classes) - set(names))
    if unknown:
        raise ValueError(f"{path}: annotations name classes {unknown} not in the given labels")
    x = np.concatenate(windows)
    iq = np.stack([x.real, x.imag], axis=1).astype(np.float32)
    ds = Dataset(iq, np.array([names.index(c) for c in classes], np.int64), np.array(snrs, np.float32), names,
                 meta={"source": "sigmf"})
    return _checked(ds, path)


def _sigmf_count(annotation, key, k, meta_path):
    value = annotation.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{meta_path}: annotation {k}: {key} must be a whole number >= 0, got {value!r}")
    return value


def _sigmf_metas(path):
    if os.path.isdir(path):
        metas = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".sigmf-meta"))
        if not metas:
            raise ValueError(f"{path}: folder holds no .sigmf-meta file")
        return metas
    if not path.endswith(".sigmf-meta"):
        raise ValueError(f"{path}: expected a .sigmf-meta file or a folder of them")
    return [path]


def _read_sigmf(meta_path):
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        datatype = meta["global"]["core:datatype"]
        annotations = meta.get("annotations", [])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{meta_path}: not a SigMF metadata file ({e.__class__.__name__}: {e})") from None
    if not isinstance(datatype, str) or not isinstance(annotations, list):
        raise ValueError(f"{meta_path}: core:datatype must be a string and annotations a list")
    if datatype not in _SIGMF_TYPES:
        raise ValueError(f"{meta_path}: unsupported core:datatype {datatype!r}; supported: {', '.join(_SIGMF_TYPES)}")
    data_path = meta_path[: -len(".sigmf-meta")] + ".sigmf-data"
    if not os.path.exists(data_path):
        raise ValueError(f"{meta_path}: data file {data_path} is missing")
    dtype, full_scale = _SIGMF_TYPES[datatype]
    raw = np.fromfile(data_path, dtype=np.dtype(dtype))
    if raw.size % 2:
        raise ValueError(f"{data_path}: odd number of {datatype} values; the file is truncated")
    raw = raw.astype(np.float32)
    if full_scale is None:  # unsigned 8-bit, offset binary (RTL-SDR)
        raw = (raw - 127.5) / 127.5
    else:
        raw = raw / full_scale
    return raw[0::2] + 1j * raw[1::2], annotations


def _text(s):
    return s.decode() if isinstance(s, bytes) else str(s)


def _checked(ds, path):
    check_samples(ds.iq, path)
    return ds
