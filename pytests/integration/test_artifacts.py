"""The model store: publish, list, point, fetch and verify, on a real S3 server and a local path.

Needs the `s3_endpoint` fixture of `pytests/s3_server.py` (imported by the shared conftest).
"""

from __future__ import annotations

import hashlib
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

    def cached_name(self, version: str) -> str:
        """The cache folder's name: the version plus the checksum of the store's manifest."""
        raw = self.get_raw(f"versions/{version}/{artifacts.MANIFEST}")
        return f"{version}-{hashlib.sha256(raw).hexdigest()[:16]}"


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
    assert fetched == (tmp_path / "cache" / store.cached_name(version)).resolve()
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

    final = cache / s3_store.cached_name(version)
    assert results == [("ok", str(final.resolve()))] * n
    assert [p.name for p in cache.iterdir()] == [final.name], "no temporary directories left"
    assert _contents(final) == _contents(src)
    ModelStore.verify(final)


def test_losing_the_rename_race_returns_the_winner(
    local_store: StoreUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _write_artifact(tmp_path / "artifact")
    version = local_store.store.publish(src)
    winner = local_store.store.fetch(version, tmp_path / "elsewhere")
    cache = tmp_path / "cache"
    final = (cache / local_store.cached_name(version)).resolve()
    real_rename = os.rename

    def another_process_wins(src_dir: Path, dst: Path) -> None:
        if Path(dst) == final and not Path(dst).exists():
            shutil.copytree(winner, dst)
        real_rename(src_dir, dst)

    monkeypatch.setattr(artifacts.os, "rename", another_process_wins)
    fetched = local_store.store.fetch(version, cache)

    assert fetched == final
    assert [p.name for p in cache.iterdir()] == [final.name]
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
    assert [p.name for p in cache.iterdir()] == [fetched.name]


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


# --------------------------------------------------------------------------- sturdy store


def _publish_in_child(store: ModelStore, src: str, barrier, out) -> None:
    """Runs in a spawned process: publish src as v1 once every publisher is ready."""
    barrier.wait()
    try:
        out.put(("ok", src, store.publish(Path(src), version="v1")))
    except BaseException as err:  # reported to the parent, which checks it
        out.put(("error", src, str(err)))


def test_two_publishers_of_one_version_at_once(store: StoreUnderTest, tmp_path: Path) -> None:
    sources = [_write_artifact(tmp_path / f"artifact{i}", seed=str(i)) for i in range(2)]
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_publish_in_child, args=(store.store, str(src), barrier, out))
        for src in sources
    ]
    for proc in procs:
        proc.start()
    results = sorted(out.get(timeout=60) for _ in procs)
    for proc in procs:
        proc.join(timeout=30)

    assert [r[0] for r in results] == ["error", "ok"], results
    (_, _, message), (_, winner, _) = results
    assert re.search(r"version v1 already exists in model store .*publish under a new", message)
    assert store.store.versions() == ["v1"] and store.store.current_version() == "v1"
    fetched = store.store.fetch("v1", tmp_path / "cache")  # verified against the manifest
    assert _contents(fetched) == _contents(Path(winner))


def test_a_claimed_version_refuses_a_second_publisher(
    store: StoreUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both publishers listed the version as free; the marker decides, before any upload."""
    first = _write_artifact(tmp_path / "first", seed="first")
    second = _write_artifact(tmp_path / "second", seed="second")
    other = ModelStore.from_uri(store.uri)
    backend = other._backend
    real_upload = backend.upload
    uploads: list[str] = []

    def second_publisher_arrives(src: Path, key: str) -> None:
        if not uploads:  # `first` holds the claim: `second` checks and claims right now
            monkeypatch.setattr(store.store._backend, "keys", lambda prefix: iter(()))
            with pytest.raises(ArtifactError, match=r"version v1 already exists.*claimed it"):
                store.store.publish(second, version="v1")
        uploads.append(key)
        real_upload(src, key)

    monkeypatch.setattr(backend, "upload", second_publisher_arrives)
    assert other.publish(first, version="v1") == "v1"
    assert _contents(store.store.fetch("v1", tmp_path / "cache")) == _contents(first)
    assert json.loads(store.get_raw(f"versions/v1/{artifacts.PUBLISHING}"))["pid"] == os.getpid()


def test_a_publisher_whose_claim_was_overwritten_stops(
    store: StoreUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An endpoint that ignores If-None-Match lets two claims succeed: the earlier one stops."""
    backend = store.store._backend
    real_upload = backend.upload

    def another_claim_lands(src: Path, key: str) -> None:
        store.put_raw(f"versions/v1/{artifacts.PUBLISHING}", b'{"token": "someone else"}')
        real_upload(src, key)

    monkeypatch.setattr(backend, "upload", another_claim_lands)
    with pytest.raises(ArtifactError, match=r"version v1 already exists.*took over its claim"):
        store.store.publish(_write_artifact(tmp_path / "artifact"), version="v1")
    assert store.store.versions() == []


def test_set_current_is_a_compare_and_swap(store: StoreUnderTest, tmp_path: Path) -> None:
    s = store.store
    with pytest.raises(ArtifactError, match=r"no complete version v1"):
        s.set_current("v1", expected=None)
    for i, version in enumerate(["v1", "v2", "v3"]):
        s.publish(_write_artifact(tmp_path / version, seed=version), version, make_current=i == 0)
    read = s.read_current()
    assert read == "v1"
    s.set_current("v2")  # another trainer moves CURRENT meanwhile

    with pytest.raises(ArtifactError, match=r"CURRENT of model store .* names v2, not v1 .*v3"):
        s.set_current("v3", expected=read)
    with pytest.raises(ArtifactError, match=r"names v2, not nothing"):
        s.set_current("v3", expected=None)
    assert s.current_version() == "v2"
    s.set_current("v3", expected="v2")
    assert s.current_version() == "v3"


def test_no_current_yet_is_an_expected_value(store: StoreUnderTest, tmp_path: Path) -> None:
    s = store.store
    s.publish(_write_artifact(tmp_path / "a", seed="a"), "v1", make_current=False)
    s.publish(_write_artifact(tmp_path / "b", seed="b"), "v2", make_current=False)
    assert s.read_current() is None
    s.set_current("v1", expected=None)
    with pytest.raises(ArtifactError, match=r"names v1, not nothing as read before"):
        s.set_current("v2", expected=None)
    assert s.current_version() == "v1"


def test_a_write_between_reading_and_swapping_is_refused(
    store: StoreUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conditional write itself (S3 If-Match on the ETag, the local lock) catches a writer
    that lands after set_current read CURRENT and found the expected version there."""
    s = store.store
    for i, version in enumerate(["v1", "v2", "v3"]):
        s.publish(_write_artifact(tmp_path / version, seed=version), version, make_current=i == 0)
    backend = s._backend
    real_read_tagged = backend.read_tagged

    def another_writer_follows(key: str) -> tuple[bytes, str] | None:
        found = real_read_tagged(key)
        ModelStore.from_uri(store.uri).set_current("v2")
        return found

    monkeypatch.setattr(backend, "read_tagged", another_writer_follows)
    with pytest.raises(ArtifactError, match=r"CURRENT of model store .* names v2, not v1"):
        s.set_current("v3", expected="v1")
    monkeypatch.undo()
    assert s.current_version() == "v2"
    s.set_current("v3", expected="v2")
    assert s.current_version() == "v3"


def test_publish_leaves_a_current_moved_since_it_started(
    store: StoreUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = store.store
    s.publish(_write_artifact(tmp_path / "a", seed="a"), "v1")
    s.publish(_write_artifact(tmp_path / "b", seed="b"), "v2", make_current=False)
    real_upload = s._backend.upload

    def another_trainer_finishes(src: Path, key: str) -> None:
        if s.read_current() == "v1":
            ModelStore.from_uri(store.uri).set_current("v2")
        real_upload(src, key)

    monkeypatch.setattr(s._backend, "upload", another_trainer_finishes)
    with pytest.raises(ArtifactError, match=r"published version v3 .* CURRENT was left alone"):
        s.publish(_write_artifact(tmp_path / "c", seed="c"), "v3")
    assert s.versions() == ["v1", "v2", "v3"]
    assert s.current_version() == "v2"
    with pytest.raises(ArtifactError, match=r"names v2, not v1"):
        s.publish(_write_artifact(tmp_path / "d", seed="d"), "v4", expected_current="v1")
    assert s.current_version() == "v2"


def test_same_version_name_in_another_store_misses_the_cache(
    store: StoreUnderTest, tmp_path: Path
) -> None:
    first = _write_artifact(tmp_path / "first", seed="first")
    second = _write_artifact(tmp_path / "second", seed="second")
    other = ModelStore.from_uri(tmp_path / "other-store")
    store.store.publish(first, version="v1")
    other.publish(second, version="v1")
    cache = tmp_path / "cache"

    from_first = store.store.fetch("v1", cache)
    from_other = other.fetch("v1", cache)

    assert from_first != from_other
    assert from_first.name.startswith("v1-") and from_other.name.startswith("v1-")
    assert _contents(from_first) == _contents(first)
    assert _contents(from_other) == _contents(second)


def test_a_tampered_cached_copy_is_fetched_again(
    store: StoreUnderTest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    src = _write_artifact(tmp_path / "artifact")
    store.store.publish(src, version="v1")
    cache = tmp_path / "cache"
    fetched = store.store.fetch("v1", cache)
    text = (fetched / "config.json").read_text()
    (fetched / "config.json").write_text(text.upper())  # same size: a size check passes

    with caplog.at_level("WARNING", logger="btrnn.artifacts"):
        assert store.store.fetch("v1", cache) == fetched
    assert "does not match its manifest" in caplog.text
    assert _contents(fetched) == _contents(src)
    assert [p.name for p in cache.iterdir()] == [fetched.name]

    manifest = json.loads((fetched / artifacts.MANIFEST).read_text())
    manifest["created_at"] = "2000-01-01T00:00:00Z"  # a rewritten manifest is not the store's
    (fetched / artifacts.MANIFEST).write_text(json.dumps(manifest, indent=2))
    assert store.store.fetch("v1", cache) == fetched
    assert (fetched / artifacts.MANIFEST).read_bytes() == store.get_raw("versions/v1/manifest.json")


def test_default_cache_is_private_to_the_user(
    local_store: StoreUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert artifacts.default_cache_root() == tmp_path / "xdg" / "btrnn" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = artifacts.default_cache_root()
    assert root == tmp_path / "home" / ".cache" / "btrnn" / "models"

    version = local_store.store.publish(_write_artifact(tmp_path / "artifact"))
    assert local_store.store.fetch(version, root).parent == root
    assert root.stat().st_mode & 0o777 == 0o700


def test_a_world_writable_cache_is_refused(local_store: StoreUnderTest, tmp_path: Path) -> None:
    version = local_store.store.publish(_write_artifact(tmp_path / "artifact"))
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(ArtifactError, match=r"writable by every user.*BTRNN_MODEL_CACHE"):
        local_store.store.fetch(version, shared)
    shared.chmod(0o1777)  # sticky, like /tmp: others cannot rename our folders away
    assert local_store.store.fetch(version, shared).parent == shared
