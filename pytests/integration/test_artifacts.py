"""The model store: publish, list, point, fetch and verify, on a real S3 server and a local path.

Needs the `s3_endpoint` fixture of `pytests/s3_server.py` (imported by the shared conftest).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import re
import shutil
import uuid
from pathlib import Path

import boto3
import pytest

from btrnn import artifacts
from btrnn.artifacts import ArtifactError, ModelStore


def _write_artifact(root: Path, seed: str = "a") -> Path:
    """A small artifact directory with a nested file, like the trainer writes."""
    root.mkdir(parents=True)
    (root / "weights.bin").write_bytes(os.urandom(64 * 1024) + seed.encode())
    (root / "config.json").write_text(json.dumps({"units": 8, "seed": seed}))
    (root / "vocab").mkdir()
    (root / "vocab" / "items.txt").write_text("\n".join(str(i) for i in range(100)) + seed)
    return root


def _contents(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.name != artifacts.MANIFEST
    }


class StoreUnderTest:
    """A store plus raw access to its objects, to corrupt or half-publish behind its back."""

    def __init__(self, uri: str, bucket: str | None = None, root: Path | None = None) -> None:
        self.uri = uri
        self.store = ModelStore.from_uri(uri)
        self.bucket = bucket
        self.root = root

    def put_raw(self, key: str, data: bytes) -> None:
        if self.bucket is not None:
            boto3.client("s3").put_object(Bucket=self.bucket, Key=f"models/{key}", Body=data)
        else:
            assert self.root is not None
            (self.root / key).parent.mkdir(parents=True, exist_ok=True)
            (self.root / key).write_bytes(data)

    def get_raw(self, key: str) -> bytes:
        if self.bucket is not None:
            obj = boto3.client("s3").get_object(Bucket=self.bucket, Key=f"models/{key}")
            return obj["Body"].read()
        assert self.root is not None
        return (self.root / key).read_bytes()


@pytest.fixture
def s3_store(s3_endpoint: str) -> StoreUnderTest:
    bucket = f"btrnn-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return StoreUnderTest(f"s3://{bucket}/models", bucket=bucket)


@pytest.fixture
def local_store(tmp_path: Path) -> StoreUnderTest:
    root = tmp_path / "store"
    return StoreUnderTest(str(root), root=root)


@pytest.fixture(params=["s3", "local"])
def store(request: pytest.FixtureRequest) -> StoreUnderTest:
    return request.getfixturevalue(f"{request.param}_store")


def test_round_trip(store: StoreUnderTest, tmp_path: Path) -> None:
    src = _write_artifact(tmp_path / "artifact")
    version = store.store.publish(src)

    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", version)
    assert store.store.versions() == [version]
    assert store.store.current_version() == version
    fetched = store.store.fetch(None, tmp_path / "cache")
    assert fetched == (tmp_path / "cache" / version).resolve()
    assert _contents(fetched) == _contents(src)
    manifest = ModelStore.verify(fetched)
    assert manifest["version"] == version
    assert set(manifest["files"]) == {"weights.bin", "config.json", "vocab/items.txt"}
    assert not (src / artifacts.MANIFEST).exists(), "publishing must not write into the source"


def test_same_version_twice_is_refused(store: StoreUnderTest, tmp_path: Path) -> None:
    first = _write_artifact(tmp_path / "first", seed="first")
    second = _write_artifact(tmp_path / "second", seed="second")
    store.store.publish(first, version="v1")

    with pytest.raises(ArtifactError, match=r"version v1 already exists"):
        store.store.publish(second, version="v1")

    assert store.get_raw("versions/v1/config.json") == (first / "config.json").read_bytes()
    assert _contents(store.store.fetch("v1", tmp_path / "cache")) == _contents(first)


def test_corrupt_object_fails_fetch_and_leaves_nothing(
    store: StoreUnderTest, tmp_path: Path
) -> None:
    src = _write_artifact(tmp_path / "artifact")
    version = store.store.publish(src, version="v1")
    original = store.get_raw("versions/v1/vocab/items.txt")
    store.put_raw("versions/v1/vocab/items.txt", bytes(reversed(original)))  # same size
    cache = tmp_path / "cache"

    with pytest.raises(ArtifactError, match=r"vocab/items\.txt.*sha256"):
        store.store.fetch(version, cache)

    assert list(cache.iterdir()) == []


def test_truncated_object_fails_fetch(s3_store: StoreUnderTest, tmp_path: Path) -> None:
    s3_store.store.publish(_write_artifact(tmp_path / "artifact"), version="v1")
    s3_store.put_raw("versions/v1/weights.bin", b"short")
    with pytest.raises(ArtifactError, match=r"weights\.bin.*5 bytes"):
        s3_store.store.fetch("v1", tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def _fetch_in_child(store: ModelStore, version: str, cache: str, barrier, out) -> None:
    """Runs in a spawned process; the barrier lines all fetches up to start together."""
    barrier.wait()
    try:
        out.put(("ok", str(store.fetch(version, Path(cache)))))
    except BaseException as err:  # reported to the parent, which fails the test
        out.put(("error", repr(err)))


def test_concurrent_fetch_from_many_processes(s3_store: StoreUnderTest, tmp_path: Path) -> None:
    src = _write_artifact(tmp_path / "artifact")
    version = s3_store.store.publish(src)
    cache = tmp_path / "cache"
    n = 6
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(n), ctx.Queue()
    args = (s3_store.store, version, str(cache), barrier, out)
    procs = [ctx.Process(target=_fetch_in_child, args=args) for _ in range(n)]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)

    assert results == [("ok", str((cache / version).resolve()))] * n
    assert [p.name for p in cache.iterdir()] == [version], "no temporary directories left"
    assert _contents(cache / version) == _contents(src)
    ModelStore.verify(cache / version)


def test_losing_the_rename_race_returns_the_winner(
    local_store: StoreUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _write_artifact(tmp_path / "artifact")
    version = local_store.store.publish(src)
    winner = local_store.store.fetch(version, tmp_path / "elsewhere")
    cache = tmp_path / "cache"
    real_rename = os.rename

    def another_process_wins(src_dir: Path, dst: Path) -> None:
        if Path(dst) == (cache / version).resolve() and not Path(dst).exists():
            shutil.copytree(winner, dst)
        real_rename(src_dir, dst)

    monkeypatch.setattr(artifacts.os, "rename", another_process_wins)
    fetched = local_store.store.fetch(version, cache)

    assert fetched == (cache / version).resolve()
    assert [p.name for p in cache.iterdir()] == [version]
    ModelStore.verify(fetched)


def test_cached_copy_is_reused_and_a_broken_one_replaced(
    s3_store: StoreUnderTest, tmp_path: Path
) -> None:
    src = _write_artifact(tmp_path / "artifact")
    version = s3_store.store.publish(src)
    cache = tmp_path / "cache"
    fetched = s3_store.store.fetch(version, cache)

    s3_store.put_raw(f"versions/{version}/config.json", b"{}")  # the store changes behind us
    assert s3_store.store.fetch(version, cache) == fetched  # no download happened
    assert _contents(fetched) == _contents(src)

    (fetched / "weights.bin").write_bytes(b"truncated")  # the cached copy breaks
    s3_store.put_raw(f"versions/{version}/config.json", (src / "config.json").read_bytes())
    assert s3_store.store.fetch(version, cache) == fetched
    assert _contents(fetched) == _contents(src)
    assert [p.name for p in cache.iterdir()] == [version]


def test_half_published_version_is_invisible(store: StoreUnderTest, tmp_path: Path) -> None:
    good = store.store.publish(_write_artifact(tmp_path / "artifact"), version="v1")
    store.put_raw("versions/v2/weights.bin", b"uploaded but the manifest never was")

    assert store.store.versions() == [good]
    with pytest.raises(ArtifactError, match=r"no complete version v2"):
        store.store.set_current("v2")
    assert store.store.current_version() == good
    with pytest.raises(ArtifactError, match=r"no complete version v2"):
        store.store.fetch("v2", tmp_path / "cache")
    with pytest.raises(ArtifactError, match=r"v2 already exists.*incomplete"):
        store.store.publish(_write_artifact(tmp_path / "other"), version="v2")


def test_set_current_switches_fetch_of_none(store: StoreUnderTest, tmp_path: Path) -> None:
    first = _write_artifact(tmp_path / "first", seed="first")
    second = _write_artifact(tmp_path / "second", seed="second")
    store.store.publish(first, version="v1")
    store.store.publish(second, version="v2", make_current=False)
    cache = tmp_path / "cache"

    assert store.store.versions() == ["v1", "v2"]
    assert _contents(store.store.fetch(None, cache)) == _contents(first)
    store.store.set_current("v2")
    assert store.store.current_version() == "v2"
    assert json.loads(store.get_raw("CURRENT"))["version"] == "v2"
    assert _contents(store.store.fetch(None, cache)) == _contents(second)


def test_empty_store_says_what_to_do(store: StoreUnderTest, tmp_path: Path) -> None:
    assert store.store.versions() == []
    with pytest.raises(ArtifactError, match=r"has no CURRENT pointer: run `btrnn train`"):
        store.store.fetch(None, tmp_path / "cache")


def test_missing_bucket_is_a_clear_error(s3_endpoint: str, tmp_path: Path) -> None:
    store = ModelStore.from_uri("s3://btrnn-no-such-bucket/models")
    with pytest.raises(ArtifactError, match=r"bucket btrnn-no-such-bucket does not exist"):
        store.publish(_write_artifact(tmp_path / "artifact"))


@pytest.mark.parametrize("bad", ["../escape", "a/b", "/", ".hidden", "x" * 129])
def test_unsafe_version_names_are_refused(local_store: StoreUnderTest, tmp_path, bad) -> None:
    with pytest.raises(ArtifactError, match="invalid model version"):
        local_store.store.publish(_write_artifact(tmp_path / "artifact"), version=bad)


def test_verify_detects_a_tampered_local_copy(local_store: StoreUnderTest, tmp_path: Path) -> None:
    version = local_store.store.publish(_write_artifact(tmp_path / "artifact"))
    fetched = local_store.store.fetch(version, tmp_path / "cache")
    (fetched / "config.json").write_text((fetched / "config.json").read_text().upper())
    with pytest.raises(ArtifactError, match=r"config\.json.*sha256"):
        ModelStore.verify(fetched)
    ModelStore.verify(fetched, checksums=False)  # same size: the cheap check passes


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://bucket", "s3://bucket"),
        ("s3://bucket/a/b/", "s3://bucket/a/b"),
        ("file:///tmp/store", "/tmp/store"),
        ("relative/store", str(Path("relative/store").resolve())),
    ],
)
def test_uris(uri: str, expected: str) -> None:
    assert ModelStore.from_uri(uri).uri == expected


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ArtifactError, match="unsupported scheme 'gs'"):
        ModelStore.from_uri("gs://bucket/models")


def test_store_pickles_without_its_client(s3_store: StoreUnderTest) -> None:
    assert s3_store.store.versions() == []  # creates the client
    clone = pickle.loads(pickle.dumps(s3_store.store))
    assert clone.uri == s3_store.uri
    assert clone.versions() == []
