"""examples/mnist_data.py: the IDX reader, hash checks, the offline copy and the download fallback.

No test touches the network: downloads are replaced by failing or fake ``pooch.retrieve``.
"""

import gzip
import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:  # (as the example scripts, run from their folder, find it)
    sys.path.insert(0, str(EXAMPLES))
import mnist_data as datasets  # noqa: E402

DatasetError, DownloadError = datasets.DatasetError, datasets.DownloadError
check_sha256, read_idx = datasets.check_sha256, datasets.read_idx

SHARED = Path("/work/shared/data/mnist")
BUNDLED = datasets.BUNDLED_DIR
# The MNIST test set, wherever we can find it: the shared copy, else the bundled one.
MNIST_DIR = SHARED if (SHARED / "t10k-labels-idx1-ubyte.gz").exists() else BUNDLED
IMAGES = MNIST_DIR / "t10k-images-idx3-ubyte.gz"
LABELS = MNIST_DIR / "t10k-labels-idx1-ubyte.gz"

LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

# Published SHA-256 hashes of the *decompressed* standard files.
IDX_SHA256 = {
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    """Encode ``array`` (uint8) as an IDX file."""
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.tobytes()


# --------------------------------------------------------------------------- the real files


def test_read_mnist_test_set():
    images, labels = read_idx(IMAGES), read_idx(LABELS)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == LABEL_COUNTS
    assert images.mean() == pytest.approx(33.79, abs=0.005)
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_read_uncompressed(tmp_path):
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.decompress(LABELS.read_bytes()))
    assert np.array_equal(read_idx(raw), read_idx(LABELS))


@pytest.mark.parametrize("name", sorted(IDX_SHA256))
def test_bundled_copy_is_the_published_mnist_test_set(name):
    # The bundled .gz files were recompressed (their own hashes are pinned in mnist_data.py),
    # but their content is byte for byte the published IDX files.
    content = gzip.decompress((BUNDLED / name).read_bytes())
    assert hashlib.sha256(content).hexdigest() == IDX_SHA256[name]
    check_sha256(BUNDLED / name, datasets._BUNDLED_SHA256[name])


def test_bundled_copy_has_attribution():
    readme = (BUNDLED / "README.md").read_text()
    assert "LeCun" in readme and "CC BY-SA 3.0" in readme


def test_load_offline_splits_8000_2000():
    data = datasets.load_mnist(offline=True)
    assert data.offline and data.name == "MNIST"
    assert data.x_train.shape == (8000, 28, 28) and data.y_train.shape == (8000,)
    assert data.x_test.shape == (2000, 28, 28) and data.y_test.shape == (2000,)
    assert "8,000" in data.description and "2,000" in data.description
    full = read_idx(LABELS)
    assert np.array_equal(np.concatenate([data.y_train, data.y_test]), full)


# --------------------------------------------------------------------------- bad files


def test_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        read_idx(tmp_path / "nope.gz")


@pytest.mark.parametrize("header", [b"\x08\x03\x00\x00", b"\x00\x01\x08\x01", b"\x00\x00\x07\x01",
                                    b"\x00\x00\x08\x00", b"PK\x03\x04"])
def test_wrong_magic(tmp_path, header):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(header + b"\x00\x00\x00\x02\x01\x02")
    with pytest.raises(DatasetError, match="magic number"):
        read_idx(path)


def test_wrong_magic_gzipped(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(b"hello, this is not IDX"))
    with pytest.raises(DatasetError, match="magic number"):
        read_idx(path)


def test_truncated_data(tmp_path):
    path = tmp_path / "short-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((3, 4, 4), np.uint8))[:-5])
    with pytest.raises(DatasetError, match="truncated"):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "short-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x08\x03\x00\x00\x00\x03")
    with pytest.raises(DatasetError, match="truncated"):
        read_idx(path)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(LABELS.read_bytes()[:1000])
    with pytest.raises(DatasetError, match="truncated"):
        read_idx(path)


def test_trailing_bytes(tmp_path):
    path = tmp_path / "long-idx1-ubyte"
    path.write_bytes(idx_bytes(np.arange(5, dtype=np.uint8)) + b"\x00")
    with pytest.raises(DatasetError, match="unexpected bytes"):
        read_idx(path)


def test_other_idx_types(tmp_path):
    path = tmp_path / "floats-idx2-float"
    values = np.arange(6, dtype=">f4").reshape(2, 3)
    path.write_bytes(bytes([0, 0, 0x0D, 2]) + np.array([2, 3], ">u4").tobytes() + values.tobytes())
    out = read_idx(path)
    assert out.dtype == np.float32 and np.array_equal(out, values)


def test_hash_mismatch(tmp_path):
    path = tmp_path / "file.gz"
    path.write_bytes(b"some bytes")
    with pytest.raises(DatasetError, match="hash mismatch"):
        check_sha256(path, "0" * 64)
    check_sha256(path, hashlib.sha256(b"some bytes").hexdigest())


def test_a_failed_download_is_a_data_error():
    assert issubclass(DownloadError, DatasetError)


def test_bundled_copy_checked(tmp_path, monkeypatch):
    # A corrupted bundled copy is refused, not silently used.
    fake = tmp_path / "mnist"
    shutil.copytree(BUNDLED, fake)
    data = bytearray((fake / "t10k-labels-idx1-ubyte.gz").read_bytes())
    data[-20] ^= 0xFF
    (fake / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(data))
    monkeypatch.setattr(datasets, "BUNDLED_DIR", fake)
    with pytest.raises(DatasetError, match="hash mismatch"):
        datasets.load_mnist(offline=True)


def test_images_and_labels_must_agree(tmp_path):
    images, labels = tmp_path / "i", tmp_path / "l"
    images.write_bytes(idx_bytes(np.zeros((3, 2, 2), np.uint8)))
    labels.write_bytes(idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(DatasetError, match="3 images but"):
        datasets._read_pair(images, labels)


# --------------------------------------------------------------------------- downloads


@pytest.fixture
def no_network(monkeypatch):
    """Every download fails as it does without a network."""
    pooch = pytest.importorskip("pooch")
    calls = []

    def retrieve(url, *args, **kwargs):
        calls.append(url)
        raise ConnectionError(f"Failed to resolve {url.split('/')[2]} (no network in tests)")

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    return calls


def test_download_failure_falls_back_to_bundled(no_network, tmp_path):
    messages = []
    data = datasets.load_mnist(data_dir=tmp_path, log=messages.append)
    assert data.offline and data.x_train.shape == (8000, 28, 28)
    assert len(messages) == 1
    assert "could not download MNIST" in messages[0]
    assert "Falling back to the MNIST test set bundled with the examples" in messages[0]
    assert "8,000" in messages[0]
    assert any("ossci-datasets" in url for url in no_network)  # every mirror was tried
    assert any("cvdf-datasets" in url for url in no_network)


def test_download_failure_message_on_stderr(no_network, tmp_path, capsys):
    datasets.load_mnist(data_dir=tmp_path)
    assert "Falling back to the MNIST test set" in capsys.readouterr().err


def test_fashion_falls_back_to_mnist(no_network, tmp_path):
    messages = []
    data = datasets.load_fashion_mnist(data_dir=tmp_path, log=messages.append)
    assert data.name == "MNIST" and data.offline
    assert "instead of Fashion-MNIST" in messages[0]
    assert any("fashion-mnist" in url for url in no_network)


def test_fashion_offline_says_so():
    messages = []
    data = datasets.load_fashion_mnist(offline=True, log=messages.append)
    assert data.name == "MNIST"
    assert "Fashion-MNIST is not bundled" in messages[0]


def test_offline_does_not_touch_network(no_network):
    datasets.load_mnist(offline=True)
    assert no_network == []


def test_download_hash_mismatch_is_an_error(monkeypatch, tmp_path):
    pooch = pytest.importorskip("pooch")

    def retrieve(url, known_hash=None, **kwargs):
        raise ValueError(f"SHA256 hash of downloaded file ({url}) does not match the known "
                         f"hash: expected {known_hash}")

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    with pytest.raises(DatasetError, match="does not match") as info:
        datasets.load_mnist(data_dir=tmp_path, log=lambda m: None)
    assert not isinstance(info.value, DownloadError)  # bad data is not a fallback case


def test_fetch_uses_pinned_hashes_and_cache_dir(monkeypatch, tmp_path):
    # A fake pooch that "downloads" the shared files: check what fetch asks of it.
    pooch = pytest.importorskip("pooch")
    requests = []

    def retrieve(url, known_hash=None, fname=None, path=None, **kwargs):
        requests.append((url, known_hash, fname, Path(path)))
        target = Path(path) / fname
        target.parent.mkdir(parents=True, exist_ok=True)
        kind = "labels" if "labels" in fname else "images"
        shutil.copy(MNIST_DIR / f"t10k-{kind}-idx{1 if kind == 'labels' else 3}-ubyte.gz",
                    target)
        return str(target)

    monkeypatch.setattr(pooch, "retrieve", retrieve)
    data = datasets.load_mnist(data_dir=tmp_path, log=pytest.fail)
    assert not data.offline and data.x_train.shape == (10000, 28, 28)
    assert [r[2] for r in requests] == list(datasets.FILES)
    for url, known_hash, fname, path in requests:
        assert url == "https://ossci-datasets.s3.amazonaws.com/mnist/" + fname
        assert known_hash == "sha256:" + datasets._SOURCES["mnist"].sha256[fname]
        assert path == tmp_path


def test_pinned_hashes_look_right():
    for source in datasets._SOURCES.values():
        assert set(source.sha256) == set(datasets.FILES)
        assert all(len(h) == 64 and int(h, 16) >= 0 for h in source.sha256.values())
    mnist = datasets._SOURCES["mnist"].sha256
    assert mnist["t10k-images-idx3-ubyte.gz"].startswith("8d422c7b")
    assert mnist["train-images-idx3-ubyte.gz"].startswith("440fcabf")


def test_default_cache_dir():
    pooch = pytest.importorskip("pooch")
    assert datasets.default_data_dir("mnist") == Path(pooch.os_cache("srcgrad")) / "mnist"


def test_without_pooch_falls_back(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "pooch":
            raise ImportError("No module named 'pooch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    messages = []
    data = datasets.load_mnist(data_dir=tmp_path, log=messages.append)
    assert data.offline
    assert "pip install" in messages[0] and "pooch" in messages[0]


def test_unknown_dataset():
    with pytest.raises(DatasetError, match="unknown data set"):
        datasets._load("cifar", True, None, print)


# --------------------------------------------------------------------------- real pooch, local server


@pytest.fixture
def local_mirror(tmp_path, monkeypatch):
    """A local HTTP server serving the MNIST test files under all four standard names, set
    up as the only MNIST mirror, with their hashes pinned: exercises the real pooch."""
    import functools
    import http.server
    import threading

    pytest.importorskip("pooch")
    served = tmp_path / "served"
    served.mkdir()
    for fname in datasets.FILES:
        kind = "labels-idx1" if "labels" in fname else "images-idx3"
        shutil.copy(MNIST_DIR / f"t10k-{kind}-ubyte.gz", served / fname)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    source = datasets._Source(
        title="MNIST", mirrors=(f"http://127.0.0.1:{server.server_address[1]}/",),
        sha256={f: hashlib.sha256((served / f).read_bytes()).hexdigest() for f in datasets.FILES},
    )
    monkeypatch.setitem(datasets._SOURCES, "mnist", source)
    yield served, source
    server.shutdown()
    server.server_close()


def test_real_pooch_download_and_cache(local_mirror, tmp_path):
    served, _ = local_mirror
    cache = tmp_path / "cache"
    data = datasets.load_mnist(data_dir=cache, log=pytest.fail)
    assert not data.offline and data.x_train.shape == (10000, 28, 28)
    assert sorted(p.name for p in cache.iterdir()) == sorted(datasets.FILES)
    for fname in datasets.FILES:   # the second time, from the cache: the server is not needed
        (served / fname).unlink()
    assert datasets.load_mnist(data_dir=cache, log=pytest.fail).x_test.shape == (10000, 28, 28)


def test_real_pooch_hash_mismatch(local_mirror, tmp_path):
    served, _ = local_mirror
    (served / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not the labels")
    with pytest.raises(DatasetError, match="hash") as info:
        datasets.load_mnist(data_dir=tmp_path / "cache", log=pytest.fail)
    assert not isinstance(info.value, DownloadError)
    assert not (tmp_path / "cache" / "t10k-labels-idx1-ubyte.gz").exists()


def test_real_pooch_missing_file_falls_back(local_mirror, tmp_path):
    served, _ = local_mirror
    (served / "train-images-idx3-ubyte.gz").unlink()    # the mirror answers 404
    messages = []
    data = datasets.load_mnist(data_dir=tmp_path / "cache", log=messages.append)
    assert data.offline and "404" in messages[0]


@pytest.mark.parametrize("size", [0, 10000])
def test_bundled_split_size_checked(size):
    with pytest.raises(ValueError):
        datasets.load_bundled_mnist(size)
