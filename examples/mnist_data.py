"""MNIST and Fashion-MNIST for the examples: an IDX reader, a checked download, an offline copy.

>>> from mnist_data import load_mnist
>>> data = load_mnist()                      # doctest: +SKIP
>>> data.x_train.shape, data.description     # doctest: +SKIP
((60000, 28, 28), 'MNIST: 60,000 training images, 10,000 test images')

With a network, the four standard files are downloaded once with ``pooch`` (an optional
dependency: ``pip install "srcgrad[examples]"``) into the user's cache directory and checked
against their published SHA-256 hashes. Offline (``offline=True``), or automatically when the
download fails, the copy of the real MNIST test set in ``examples/data/mnist/`` is split in two:
the first 8,000 images to train on, the last 2,000 to evaluate on. Every problem with the
data (missing or truncated file, wrong magic number, hash mismatch) is a :class:`DatasetError`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "BUNDLED_DIR",
    "OFFLINE_TRAIN_SIZE",
    "Dataset",
    "DatasetError",
    "DownloadError",
    "check_sha256",
    "default_data_dir",
    "fetch",
    "load_bundled_mnist",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
]


class DatasetError(Exception):
    """A data file is missing, malformed, or not the file it should be."""


class DownloadError(DatasetError):
    """The files could not be downloaded (no network, no ``pooch``, every mirror failed)."""


# The four standard files, in the order (train images, train labels, test images, test labels).
FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


@dataclass(frozen=True)
class _Source:
    title: str
    mirrors: tuple[str, ...]
    sha256: dict[str, str]


# Published SHA-256 hashes of the gzipped files as the mirrors serve them.
_SOURCES = {
    "mnist": _Source(
        title="MNIST",
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        sha256={
            "train-images-idx3-ubyte.gz":
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz":
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz":
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz":
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
    ),
    "fashion": _Source(
        title="Fashion-MNIST",
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        sha256={
            "train-images-idx3-ubyte.gz":
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz":
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz":
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz":
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
    ),
}

#: Where the bundled copy of the MNIST test set lives (package data).
BUNDLED_DIR = Path(__file__).resolve().parent / "data" / "mnist"

# SHA-256 of the bundled files themselves. They were recompressed, so these differ from the
# mirrors' hashes, but they decompress to the same IDX bytes (see data/mnist/README.md).
_BUNDLED_SHA256 = {
    "t10k-images-idx3-ubyte.gz":
        "9fe7630f90c0e670227960a294637bc2e78a29d724810e24204eb342c9f033a1",
    "t10k-labels-idx1-ubyte.gz":
        "2c54c993d38068b3c3adb720a5cdee07065a066a7b36e7d1df720548d6359eba",
}

_TIMEOUT = 15  # seconds without an answer before a mirror counts as unreachable

#: Offline, the bundled test set is split: this many images to train on, the rest to test.
OFFLINE_TRAIN_SIZE = 8000

# IDX type codes (third byte of the magic number) and the NumPy dtype each stands for.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


@dataclass(frozen=True)
class Dataset:
    """Images and labels, split into training and test sets.

    Images are ``uint8`` arrays of shape ``(n, 28, 28)`` (grey levels 0..255), labels
    ``uint8`` arrays of shape ``(n,)`` (classes 0..9). ``description`` is one line saying
    where the data came from, for the examples to print.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    offline: bool
    description: str

    @property
    def label(self) -> str:
        """The data's name for a picture's title: ``MNIST``, or what the offline copy is."""
        return f"{self.name} (its test set, split)" if self.offline else self.name


# --------------------------------------------------------------------------- reading files


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into a NumPy array.

    The header is checked: two zero bytes, a known type code, the number of dimensions,
    then the size of each; the data must be exactly as long as the header says.
    Raises :class:`DatasetError` on a missing, truncated or malformed file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except OSError as e:
        raise DatasetError(f"{path}: cannot read: {e.strerror or e}") from None
    if raw[:2] == b"\x1f\x8b":  # gzip
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as e:
            raise DatasetError(f"{path}: corrupt or truncated gzip data ({e})") from None
    return _parse_idx(raw, path)


def _parse_idx(raw: bytes, path: Path) -> np.ndarray:
    if len(raw) < 4:
        raise DatasetError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    zero, code, ndim = raw[:2], raw[2], raw[3]
    if zero != b"\x00\x00" or code not in _IDX_DTYPES or ndim == 0:
        raise DatasetError(
            f"{path}: not an IDX file (magic number 0x{raw[:4].hex()}; expected 0x0000TTNN "
            "with a type code TT in 08 09 0b 0c 0d 0e and NN dimensions)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path}: truncated IDX header")
    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) < expected:
        raise DatasetError(
            f"{path}: truncated: the header promises shape {shape} ({expected} bytes) "
            f"but the file holds {len(raw)} bytes"
        )
    if len(raw) > expected:
        raise DatasetError(
            f"{path}: {len(raw) - expected} unexpected bytes after the data of shape {shape}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # native byte order, and writable


def check_sha256(path: str | os.PathLike, expected: str) -> None:
    """Raise :class:`DatasetError` unless the file's SHA-256 is ``expected`` (hex)."""
    path = Path(path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    if digest != expected.lower():
        raise DatasetError(
            f"{path}: SHA-256 hash mismatch: expected {expected}, got {digest}. "
            "The file is corrupt or not the one expected; delete it and try again."
        )


def _read_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DatasetError(f"{images_path}: expected uint8 images (n, rows, cols), "
                           f"got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DatasetError(f"{labels_path}: expected uint8 labels (n,), "
                           f"got {labels.dtype} {labels.shape}")
    if len(images) != len(labels):
        raise DatasetError(f"{images_path} holds {len(images)} images but {labels_path} "
                           f"holds {len(labels)} labels")
    return images, labels


# --------------------------------------------------------------------------- downloading


def _require_pooch():
    try:
        import pooch
    except ImportError:
        raise DownloadError(
            "downloading needs the optional package 'pooch': "
            'pip install "srcgrad[examples]" (or pip install pooch)'
        ) from None
    return pooch


def default_data_dir(name: str = "mnist") -> Path:
    """The cache folder for a data set: ``pooch.os_cache("srcgrad") / name``."""
    return Path(_require_pooch().os_cache("srcgrad")) / name


def fetch(name: str = "mnist", data_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """Download (once) and verify the four files of ``name`` ("mnist" or "fashion").

    Returns ``{file name: local path}``. Each file is tried on each mirror in turn; a file
    already in ``data_dir`` with the right hash is not downloaded again. Raises
    :class:`DownloadError` if some file could be fetched from no mirror, and
    :class:`DatasetError` if a mirror served a file whose hash does not match.
    """
    source = _source(name)
    pooch = _require_pooch()
    folder = Path(data_dir) if data_dir is not None else default_data_dir(name)
    # A shorter timeout than pooch's 30 s, so that a blocked network fails over quickly.
    downloader = pooch.HTTPDownloader(progressbar=_have("tqdm"), timeout=_TIMEOUT)
    paths = {}
    for fname in FILES:
        failures, mismatch = [], None
        for mirror in source.mirrors:
            try:
                path = pooch.retrieve(
                    mirror + fname, known_hash="sha256:" + source.sha256[fname],
                    fname=fname, path=folder, downloader=downloader,
                )
            except ValueError as e:  # pooch's hash mismatch (the bad file is removed)
                if "hash" not in str(e).lower():
                    raise
                mismatch = e
                failures.append(f"{mirror}: hash mismatch")
            except Exception as e:  # noqa: BLE001 - network errors come in many types
                failures.append(f"{mirror}: {_short(e)}")
            else:
                paths[fname] = Path(path)
                break
        else:
            if mismatch is not None:
                raise DatasetError(f"{source.title} {fname}: {mismatch}") from None
            raise DownloadError(
                f"could not download {source.title} {fname}:\n  " + "\n  ".join(failures)
            )
    return paths


def _short(error: Exception, limit: int = 100) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _source(name: str) -> _Source:
    key = name.lower().replace("-", "").replace("_", "")
    key = {"fashionmnist": "fashion"}.get(key, key)
    if key not in _SOURCES:
        raise DatasetError(f"unknown data set {name!r}; choose 'mnist' or 'fashion'")
    return _SOURCES[key]


# --------------------------------------------------------------------------- loading


def load_bundled_mnist(train_size: int = OFFLINE_TRAIN_SIZE) -> Dataset:
    """The MNIST test set in ``examples/data/mnist/``, split into its first ``train_size`` images
    (to train on) and the rest (to evaluate on). Needs no network."""
    if not 0 < train_size < 10000:
        raise ValueError(f"train_size must be between 1 and 9,999, got {train_size}")
    paths = {f: BUNDLED_DIR / f for f in _BUNDLED_SHA256}
    for fname, path in paths.items():
        check_sha256(path, _BUNDLED_SHA256[fname])
    x, y = _read_pair(*paths.values())
    n_test = len(x) - train_size
    return Dataset(
        x_train=x[:train_size], y_train=y[:train_size],
        x_test=x[train_size:], y_test=y[train_size:],
        name="MNIST", offline=True,
        description=(f"MNIST offline (bundled test set): training on its first "
                     f"{train_size:,} images, evaluating on the last {n_test:,}"),
    )


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _load(name: str, offline: bool, data_dir, log: Callable[[str], None]) -> Dataset:
    source = _source(name)
    if offline:
        if source.title != "MNIST":
            log(f"{source.title} is not bundled with the examples; offline, using the bundled "
                "MNIST test set instead.")
        return load_bundled_mnist()
    try:
        paths = fetch(name, data_dir)
    except DownloadError as e:
        instead = "" if source.title == "MNIST" else f" instead of {source.title}"
        log(f"{e}\nFalling back to the MNIST test set bundled with the examples{instead} "
            f"(offline mode: its first {OFFLINE_TRAIN_SIZE:,} images to train on, "
            "the rest to evaluate on).")
        return load_bundled_mnist()
    x_train, y_train = _read_pair(paths[FILES[0]], paths[FILES[1]])
    x_test, y_test = _read_pair(paths[FILES[2]], paths[FILES[3]])
    return Dataset(
        x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        name=source.title, offline=False,
        description=(f"{source.title}: {len(x_train):,} training images, "
                     f"{len(x_test):,} test images"),
    )


def load_mnist(offline: bool = False, data_dir: str | os.PathLike | None = None,
               log: Callable[[str], None] = _stderr) -> Dataset:
    """Load MNIST: downloaded and checked, or the bundled offline copy.

    ``offline=True`` skips the network. When the download fails, the bundled copy is used
    and ``log`` (default: print to stderr) is told why. See :class:`Dataset`.
    """
    return _load("mnist", offline, data_dir, log)


def load_fashion_mnist(offline: bool = False, data_dir: str | os.PathLike | None = None,
                       log: Callable[[str], None] = _stderr) -> Dataset:
    """Load Fashion-MNIST (Zalando; MIT licence), downloaded and checked.

    No copy ships with the examples: offline, or when the download fails, this falls back to the
    bundled MNIST test set and says so through ``log``. Check ``Dataset.name``.
    """
    return _load("fashion", offline, data_dir, log)
