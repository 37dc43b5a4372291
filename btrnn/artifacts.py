"""Versioned model artifacts behind a URI: a local directory or `s3://bucket/prefix`.

Layout of a store: `<uri>/versions/<version>/...` (immutable; complete once its `manifest.json`
exists, which is written last) and `<uri>/CURRENT` naming the version scoring uses by default.
A publisher first claims `versions/<version>/.publishing` with an exclusive write, so two trainers
publishing one version name never interleave files; CURRENT moves by compare-and-swap.
Fetching downloads into a unique temporary directory, verifies checksums against the manifest and
renames the directory into place, so concurrent executors never see a partial copy. The copy is
named for the manifest's checksum, so a same-named version from another store never matches it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import stat
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any, Protocol, TypedDict
from urllib.parse import urlparse

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CURRENT = "CURRENT"
VERSIONS = "versions"
# The publisher's claim on a version name; kept after publishing as a record of who published.
PUBLISHING = ".publishing"
MANIFEST_FORMAT = 1
_VERSION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_CHUNK = 1 << 20
# Leftovers of fetches killed mid-download (preempted executors) are swept after this long.
_STALE_TEMP_AGE_S = 24 * 3600
_TMP_PREFIX = ".tmp-"
_STALE_PREFIX = ".stale-"
# S3 calls are bounded (boto3's defaults wait 60 s per call and retry on their own schedule):
# a scoring run with an unreachable store fails within seconds, before any table is touched.
S3_CONNECT_TIMEOUT_S = float(os.environ.get("BTRNN_S3_CONNECT_TIMEOUT_S", "5"))
S3_READ_TIMEOUT_S = float(os.environ.get("BTRNN_S3_READ_TIMEOUT_S", "30"))
S3_MAX_ATTEMPTS = int(os.environ.get("BTRNN_S3_MAX_ATTEMPTS", "3"))
_USERINFO_RE = re.compile(r"(?<=://)[^/@\s]+@")


def redact(text: str) -> str:
    """`text` with any user:password@ in URLs removed, so errors never print credentials."""
    return _USERINFO_RE.sub("***@", text)


class ArtifactError(Exception):
    """A model store or artifact problem; the message says what is wrong and what to do."""


class FileEntry(TypedDict):
    sha256: str
    size: int


class Manifest(TypedDict):
    format: int
    version: str
    created_at: str
    files: dict[str, FileEntry]


class Unchecked(Enum):
    """`set_current(expected=UNCHECKED)`: move CURRENT whatever it points at now."""

    UNCHECKED = "unchecked"


UNCHECKED = Unchecked.UNCHECKED


# --------------------------------------------------------------------------- local checks


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_version_name(version: str) -> str:
    if not _VERSION_RE.fullmatch(version):
        raise ArtifactError(
            f"invalid model version {version!r}: use letters, digits, '.', '_' and '-' "
            "(at most 128, starting with a letter or digit)"
        )
    return version


def _check_relpath(rel: str) -> PurePosixPath:
    """A manifest path must stay inside the artifact directory."""
    path = PurePosixPath(rel)
    if not rel or path.is_absolute() or any(part in ("", ".", "..") for part in rel.split("/")):
        raise ArtifactError(f"manifest names an unsafe file path {rel!r}: the manifest is invalid")
    return path


def _parse_manifest(raw: bytes, where: str) -> Manifest:
    try:
        data = json.loads(raw)
        files = data["files"]
        for rel, entry in files.items():
            _check_relpath(rel)
            if not isinstance(entry["sha256"], str) or not isinstance(entry["size"], int):
                raise TypeError(rel)
        return Manifest(
            format=int(data["format"]),
            version=str(data["version"]),
            created_at=str(data["created_at"]),
            files=files,
        )
    except ArtifactError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ArtifactError(
            f"{where} is not a valid artifact manifest ({err!r}): republish the artifact"
        ) from err


def _read_local_manifest(local_dir: Path) -> Manifest:
    path = local_dir / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ArtifactError(
            f"{local_dir} has no {MANIFEST}: it is not a complete artifact (fetch it again)"
        ) from None
    return _parse_manifest(raw, str(path))


def verify(local_dir: Path, *, checksums: bool = True) -> Manifest:
    """Check every file of a local artifact against its manifest; return the manifest.

    With `checksums=False` only presence and sizes are checked (cheap, but blind to same-size
    edits: fetch checks cached copies in full).
    """
    local_dir = Path(local_dir)
    manifest = _read_local_manifest(local_dir)
    for rel, entry in sorted(manifest["files"].items()):
        path = local_dir / rel
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise ArtifactError(f"artifact file {rel} is missing from {local_dir}") from None
        if size != entry["size"]:
            raise ArtifactError(
                f"artifact file {rel} in {local_dir} has {size} bytes, manifest says "
                f"{entry['size']}: the copy is corrupt"
            )
        if checksums and (digest := _sha256(path)) != entry["sha256"]:
            raise ArtifactError(
                f"artifact file {rel} in {local_dir} has sha256 {digest}, manifest says "
                f"{entry['sha256']}: the copy is corrupt"
            )
    return manifest


def _scan_artifact(local_dir: Path) -> dict[str, FileEntry]:
    """Checksum and size of every file under local_dir, except a manifest at its top."""
    if not local_dir.is_dir():
        raise ArtifactError(f"cannot publish {local_dir}: it is not a directory")
    files: dict[str, FileEntry] = {}
    for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(local_dir).as_posix()
        if rel != MANIFEST:
            files[rel] = FileEntry(sha256=_sha256(path), size=path.stat().st_size)
    if not files:
        raise ArtifactError(f"cannot publish {local_dir}: it holds no files")
    return files


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _default_version(files: dict[str, FileEntry], now: datetime) -> str:
    """Sortable UTC timestamp plus a short hash of the content, e.g. 20261127T051500Z-3f9a1c2b."""
    content = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return f"{now:%Y%m%dT%H%M%SZ}-{content[:8]}"


# --------------------------------------------------------------------------- storage backends


class _Backend(Protocol):
    """Object storage seen as keys relative to the store root."""

    def uri(self, key: str = "") -> str: ...
    def read(self, key: str) -> bytes | None: ...
    def read_tagged(self, key: str) -> tuple[bytes, str] | None: ...
    def write(
        self, key: str, data: bytes, *, exclusive: bool = False, if_match: str | None = None
    ) -> None: ...
    def upload(self, src: Path, key: str) -> None: ...
    def download(self, key: str, dst: Path) -> None: ...
    def keys(self, prefix: str) -> Iterator[str]: ...


class _Exists(Exception):
    """An exclusive write found the key already there."""


class _Changed(Exception):
    """A conditional write found the key changed (or gone) since it was read."""


class _LocalBackend:
    """A directory on a local or mounted filesystem; every write is temp file + rename."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def uri(self, key: str = "") -> str:
        return str(self.root / key) if key else str(self.root)

    def read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def read_tagged(self, key: str) -> tuple[bytes, str] | None:
        """Content and its sha256, the tag a later `write(if_match=...)` compares."""
        data = self.read(key)
        return None if data is None else (data, hashlib.sha256(data).hexdigest())

    def _temp_beside(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.with_name(f"{_TMP_PREFIX}{path.name}-{uuid.uuid4().hex}")

    @contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        """An advisory lock beside path, released by the kernel even if the holder is killed."""
        import fcntl  # POSIX only, like the stores this project runs on

        lock = path.with_name(f".{path.name}.lock")
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def write(
        self, key: str, data: bytes, *, exclusive: bool = False, if_match: str | None = None
    ) -> None:
        path = self.root / key
        tmp = self._temp_beside(path)
        try:
            tmp.write_bytes(data)
            if exclusive:
                self._link_exclusive(tmp, path, key)
            elif if_match is not None:
                # Every conditional writer takes the lock, so check and rename are one step.
                with self._locked(path):
                    found = self.read_tagged(key)
                    if found is None or found[1] != if_match:
                        raise _Changed(key)
                    os.replace(tmp, path)
            else:
                os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    @staticmethod
    def _link_exclusive(tmp: Path, path: Path, key: str) -> None:
        try:
            os.link(tmp, path)  # fails if present, unlike rename
        except FileExistsError:
            raise _Exists(key) from None
        except OSError:
            # A filesystem without hard links: O_EXCL still claims the name atomically; readers
            # may see it empty until the rename fills it.
            try:
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                raise _Exists(key) from None
            os.replace(tmp, path)

    def upload(self, src: Path, key: str) -> None:
        path = self.root / key
        tmp = self._temp_beside(path)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def download(self, key: str, dst: Path) -> None:
        try:
            shutil.copyfile(self.root / key, dst)
        except FileNotFoundError:
            raise ArtifactError(f"{self.uri(key)} is missing from the model store") from None

    def keys(self, prefix: str) -> Iterator[str]:
        base = self.root / prefix
        if not base.is_dir():
            return
        for path in base.rglob("*"):
            if path.is_file() and not path.name.startswith(_TMP_PREFIX):
                yield path.relative_to(self.root).as_posix()


class _S3Backend:
    """A bucket and prefix on any S3-compatible endpoint, configured the standard AWS way.

    The client is created lazily and dropped on pickling, so a store can travel to executors.
    """

    def __init__(self, bucket: str, prefix: str) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_client": None}

    @property
    def client(self) -> Any:
        if self._client is None:
            # Imported here: local-path stores and scoring-free CLI runs skip boto3.
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=S3_CONNECT_TIMEOUT_S,
                read_timeout=S3_READ_TIMEOUT_S,
                retries={"mode": "standard", "max_attempts": S3_MAX_ATTEMPTS},
            )
            self._client = boto3.session.Session().client("s3", config=config)
        return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def uri(self, key: str = "") -> str:
        full = self._key(key) if key else self.prefix
        return f"s3://{self.bucket}/{full}" if full else f"s3://{self.bucket}"

    @contextmanager
    def _errors(self, key: str = "") -> Iterator[None]:
        """Turn botocore failures into ArtifactErrors that say what to check."""
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            yield
        except NoCredentialsError as err:
            raise ArtifactError(
                f"no AWS credentials for {self.uri(key)}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, a profile, or an instance role"
            ) from err
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code == "NoSuchBucket":
                endpoint = redact(os.environ.get("AWS_ENDPOINT_URL", "AWS default"))
                raise ArtifactError(
                    f"bucket {self.bucket} does not exist at the S3 endpoint "
                    f"(AWS_ENDPOINT_URL={endpoint}): create it or fix the model URI"
                ) from None
            message = redact(str(err))
            raise ArtifactError(f"S3 request for {self.uri(key)} failed: {message}") from None
        except (BotoCoreError, Boto3Error) as err:
            raise ArtifactError(
                f"S3 request for {self.uri(key)} failed after {S3_MAX_ATTEMPTS} attempts "
                f"(timeouts: connect {S3_CONNECT_TIMEOUT_S:g} s, read {S3_READ_TIMEOUT_S:g} s; "
                f"BTRNN_S3_* to change): {redact(str(err))}"
            ) from None

    @staticmethod
    def _is_missing(err: Exception) -> bool:
        response = getattr(err, "response", {}) or {}
        return response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        with self._errors(key):
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            except ClientError as err:
                if self._is_missing(err):
                    return None
                raise
            return bytes(body.read())

    def read_tagged(self, key: str) -> tuple[bytes, str] | None:
        """Content and its ETag, the tag a later `write(if_match=...)` sends as If-Match."""
        from botocore.exceptions import ClientError

        with self._errors(key):
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as err:
                if self._is_missing(err):
                    return None
                raise
            return bytes(response["Body"].read()), str(response["ETag"])

    def write(
        self, key: str, data: bytes, *, exclusive: bool = False, if_match: str | None = None
    ) -> None:
        from botocore.exceptions import ClientError

        args = {"Bucket": self.bucket, "Key": self._key(key), "Body": data}
        conflict: Exception
        if exclusive:
            condition, conflict = {"IfNoneMatch": "*"}, _Exists(key)
        elif if_match is not None:
            condition, conflict = {"IfMatch": if_match}, _Changed(key)
        else:
            with self._errors(key):
                self.client.put_object(**args)
            return
        with self._errors(key):
            try:
                self.client.put_object(**args, **condition)
            except ClientError as err:
                code = err.response.get("Error", {}).get("Code", "")
                # ConditionalRequestConflict: a concurrent conditional write to the key won.
                if code in ("PreconditionFailed", "ConditionalRequestConflict"):
                    raise conflict from None
                if if_match is not None and self._is_missing(err):
                    raise conflict from None  # deleted since it was read
                if code != "NotImplemented":
                    raise
                # Endpoints without conditional writes: check again, then write; a writer in
                # between can still win (the store's docstring says so).
                log.warning("%s ignores conditional writes; checking first", self.uri(key))
                found = self.read_tagged(key)
                if (found is not None) if exclusive else (found is None or found[1] != if_match):
                    raise conflict from None
                self.client.put_object(**args)

    def upload(self, src: Path, key: str) -> None:
        with self._errors(key):
            self.client.upload_file(str(src), self.bucket, self._key(key))

    def download(self, key: str, dst: Path) -> None:
        from botocore.exceptions import ClientError

        with self._errors(key):
            try:
                self.client.download_file(self.bucket, self._key(key), str(dst))
            except ClientError as err:
                if self._is_missing(err):
                    raise ArtifactError(
                        f"{self.uri(key)} is missing from the model store"
                    ) from None
                raise

    def keys(self, prefix: str) -> Iterator[str]:
        strip = len(self._key(""))
        with self._errors(prefix):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(prefix)
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    yield obj["Key"][strip:]


# --------------------------------------------------------------------------- the store


def _backend_for(uri: str) -> _Backend:
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ArtifactError(f"model URI {uri!r} names no bucket: use s3://bucket/prefix")
        return _S3Backend(parsed.netloc, parsed.path.strip("/"))
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ArtifactError(f"model URI {uri!r} names a remote host: use file:///path")
        return _LocalBackend(Path(parsed.path).resolve())
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive
        raise ArtifactError(
            f"model URI {uri!r} has unsupported scheme {parsed.scheme!r}: use s3:// or a path"
        )
    return _LocalBackend(Path(uri).expanduser().resolve())


class ModelStore:
    """Publishes, lists and fetches versioned artifacts under one URI (S3 or local path).

    Picklable (no live client travels), so a store can be shipped to Spark executors.
    Exclusive claims and CURRENT's compare-and-swap rely on S3 conditional writes (If-None-Match,
    If-Match); on an endpoint that answers NotImplemented they fall back to read-then-write,
    which narrows the race without closing it.
    """

    def __init__(self, uri: str | Path) -> None:
        self._backend = _backend_for(str(uri))
        self.uri = self._backend.uri()

    @classmethod
    def from_uri(cls, uri: str | Path) -> ModelStore:
        """A store for `s3://bucket/prefix`, `file:///path` or a plain local path."""
        return cls(uri)

    def __repr__(self) -> str:
        return f"ModelStore({self.uri!r})"

    def __str__(self) -> str:
        return self.uri

    verify = staticmethod(verify)

    # ----------------------------------------------------------------- publishing

    def publish(
        self,
        local_dir: Path,
        version: str | None = None,
        make_current: bool = True,
        expected_current: str | None | Unchecked = UNCHECKED,
    ) -> str:
        """Upload local_dir as a new immutable version, manifest last; then maybe point CURRENT.

        CURRENT moves only if it still names `expected_current` (None: no CURRENT yet); left
        UNCHECKED, it is read here before uploading, so a publish that finished meanwhile is
        never silently replaced.
        """
        local_dir = Path(local_dir)
        files = _scan_artifact(local_dir)
        now = _utc_now()
        version = _check_version_name(version or _default_version(files, now))
        if make_current and expected_current is UNCHECKED:
            expected_current = self.read_current()
        prefix = f"{VERSIONS}/{version}/"
        if next(iter(self._backend.keys(prefix)), None) is not None:
            complete = self._backend.read(prefix + MANIFEST) is not None
            state = "" if complete else " (incomplete: an earlier publish was interrupted)"
            raise ArtifactError(
                f"version {version} already exists in model store {self.uri}{state}: "
                "versions are immutable, publish under a new version"
            )
        claim = self._claim(version, now)
        for rel in files:
            self._backend.upload(local_dir / rel, prefix + rel)
        manifest = Manifest(
            format=MANIFEST_FORMAT,
            version=version,
            created_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            files=files,
        )
        # Only matters on endpoints that ignore conditional writes, where two claims can succeed:
        # the later one overwrote the marker, so the earlier publisher stops here.
        if self._backend.read(prefix + PUBLISHING) != claim:
            raise ArtifactError(
                f"version {version} already exists in model store {self.uri}: another "
                "publisher took over its claim while uploading; publish under a new version"
            )
        try:
            self._backend.write(
                prefix + MANIFEST, json.dumps(manifest, indent=2).encode(), exclusive=True
            )
        except _Exists:
            raise ArtifactError(
                f"version {version} was published to {self.uri} by someone else meanwhile: "
                "publish under a new version"
            ) from None
        log.info("published %s version %s (%d files)", self.uri, version, len(files))
        if make_current:
            try:
                self.set_current(version, expected=expected_current)
            except ArtifactError as err:
                raise ArtifactError(
                    f"published version {version} to {self.uri}, but CURRENT was left alone: "
                    f"{err}. Score it with model_version={version}, or point CURRENT at it "
                    "once you have checked the other version"
                ) from err
        return version

    def _claim(self, version: str, now: datetime) -> bytes:
        """Exclusively create the version's publishing marker; return its bytes."""
        key = f"{VERSIONS}/{version}/{PUBLISHING}"
        claim = json.dumps(
            {
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "token": uuid.uuid4().hex,
                "started_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ).encode()
        try:
            self._backend.write(key, claim, exclusive=True)
        except _Exists:
            raw = self._backend.read(key) or b"{}"
            who = raw.decode(errors="replace").strip()
            raise ArtifactError(
                f"version {version} already exists in model store {self.uri}: another publisher "
                f"claimed it first ({who}); versions are immutable, publish under a new version"
            ) from None
        return claim

    # ----------------------------------------------------------------- versions

    def versions(self) -> list[str]:
        """Complete (manifest present) versions, sorted; default names sort by time."""
        found = set()
        for key in self._backend.keys(f"{VERSIONS}/"):
            parts = key.split("/")
            if len(parts) == 3 and parts[2] == MANIFEST and _VERSION_RE.fullmatch(parts[1]):
                found.add(parts[1])
        return sorted(found)

    def _manifest(self, version: str) -> Manifest:
        return self._manifest_with_bytes(version)[0]

    def _manifest_with_bytes(self, version: str) -> tuple[Manifest, bytes]:
        """The version's manifest and its exact bytes (their checksum names the cached copy)."""
        _check_version_name(version)
        key = f"{VERSIONS}/{version}/{MANIFEST}"
        raw = self._backend.read(key)
        if raw is None:
            raise ArtifactError(
                f"model store {self.uri} has no complete version {version} "
                f"(no {MANIFEST}); published versions: {', '.join(self.versions()) or 'none'}"
            )
        manifest = _parse_manifest(raw, self._backend.uri(key))
        if manifest["version"] != version:
            raise ArtifactError(
                f"{self._backend.uri(key)} describes version {manifest['version']}, not "
                f"{version}: the store was edited by hand, republish the artifact"
            )
        return manifest, raw

    def manifest_checksum(self, version: str) -> str:
        """The sha256 of the version's manifest: the model's identity by content (the manifest
        holds every file's checksum), where its name may be reused by another store."""
        return hashlib.sha256(self._manifest_with_bytes(version)[1]).hexdigest()

    def read_file(self, version: str, rel: str) -> bytes:
        """One file of a version, checked against its manifest (no download of the rest)."""
        manifest = self._manifest(_check_version_name(version))
        entry = manifest["files"].get(rel)
        key = f"{VERSIONS}/{version}/{rel}"
        raw = self._backend.read(key) if entry else None
        if entry is None or raw is None:
            raise ArtifactError(f"{self._backend.uri(key)} is missing from the model store")
        if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
            raise ArtifactError(f"{self._backend.uri(key)} does not match its manifest checksum")
        return raw

    def read_current(self) -> str | None:
        """The version CURRENT points at, or None if the store has no CURRENT yet."""
        found = self._backend.read(CURRENT)
        return None if found is None else _pointer_version(found)

    def current_version(self) -> str:
        """The version CURRENT points at."""
        version = self.read_current()
        if version is None:
            raise ArtifactError(
                f"model store {self.uri} has no {CURRENT} pointer: run `btrnn train` first "
                "or pass --model-version"
            )
        return version

    def set_current(self, version: str, expected: str | None | Unchecked = UNCHECKED) -> None:
        """Point CURRENT at an existing complete version (one atomic write).

        With `expected` (a version, or None for "no CURRENT yet": what the caller read earlier),
        the write is a compare-and-swap: it fails if CURRENT names anything else by then. S3 sends
        the ETag it just read as If-Match; a local store checks and renames under a lock file.
        """
        self._manifest(version)
        pointer = {"version": version, "updated_at": f"{_utc_now():%Y-%m-%dT%H:%M:%SZ}"}
        data = json.dumps(pointer).encode()
        if expected is UNCHECKED:
            self._backend.write(CURRENT, data)
            log.info("%s CURRENT -> %s", self.uri, version)
            return
        found = self._backend.read_tagged(CURRENT)
        now = None if found is None else _pointer_version(found[0])
        try:
            if now != expected:
                raise _Changed(CURRENT)
            if found is None:
                self._backend.write(CURRENT, data, exclusive=True)
            else:
                self._backend.write(CURRENT, data, if_match=found[1])
        except (_Changed, _Exists):
            now = self.read_current()
            raise ArtifactError(
                f"{CURRENT} of model store {self.uri} changed: it names {now or 'nothing'}, "
                f"not {expected or 'nothing'} as read before; it was not moved to {version}"
            ) from None
        log.info("%s CURRENT -> %s (was %s)", self.uri, version, expected or "unset")

    # ----------------------------------------------------------------- fetching

    def fetch(self, version: str | None, cache_root: Path) -> Path:
        """A verified local copy of version (None: CURRENT) at cache_root/<version>-<checksum>.

        The folder is named for the sha256 of the store's manifest bytes, and a cached copy is
        used only if its manifest has exactly those bytes and every file its checksum, so a
        same-named version from another store, or a tampered copy, is never taken for this one.
        Safe under concurrent fetches from many processes: each downloads into its own temporary
        directory and renames it into place; losers of the race keep the winner's copy.
        """
        version = _check_version_name(version or self.current_version())
        cache_root = prepare_cache_root(Path(cache_root))
        manifest, manifest_raw = self._manifest_with_bytes(version)
        final = cache_root / f"{version}-{hashlib.sha256(manifest_raw).hexdigest()[:16]}"
        if final.exists():
            if _cached_copy_ok(final, manifest_raw):
                return final
            # Replaced only after the download, by _move_into_place, which checks it once more:
            # another process may have put a good copy there meanwhile, and be loading it.
            log.warning("cached copy %s does not match its manifest: fetching it again", final)
        _sweep_stale(cache_root)
        tmp = cache_root / f"{_TMP_PREFIX}{version}-{uuid.uuid4().hex}"
        try:
            tmp.mkdir()
            for rel in sorted(manifest["files"]):
                dst = tmp / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                self._backend.download(f"{VERSIONS}/{version}/{rel}", dst)
            (tmp / MANIFEST).write_bytes(manifest_raw)
            try:
                verify(tmp)
            except ArtifactError as err:
                raise ArtifactError(
                    f"version {version} in model store {self.uri} failed verification: {err}; "
                    "republish it under a new version"
                ) from err
            _move_into_place(tmp, final, version, manifest_raw)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("fetched %s version %s into %s", self.uri, version, final)
        return final


def _pointer_version(raw: bytes) -> str:
    text = raw.decode(errors="replace").strip()
    try:
        version = str(json.loads(text)["version"])
    except (ValueError, KeyError, TypeError):
        version = text  # a hand-written pointer holding just the name
    return _check_version_name(version)


def default_cache_root() -> Path:
    """A per-user cache: $XDG_CACHE_HOME/btrnn/models, else ~/.cache/btrnn/models.

    Not a shared /tmp folder: another user there could plant a copy before ours exists.
    Without a home directory (some cluster executors), a per-user folder in the temp directory.
    """
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg) / "btrnn" / "models"
    try:
        return Path.home() / ".cache" / "btrnn" / "models"
    except RuntimeError:
        return Path(tempfile.gettempdir()) / f"btrnn-models-{os.getuid()}"


def prepare_cache_root(cache_root: Path) -> Path:
    """Create cache_root (mode 0700) and refuse one that others can swap copies in.

    World-writable without the sticky bit means any user may rename our verified folders away
    and put their own in place between verification and loading; nothing later would notice.
    """
    try:
        cache_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as err:
        raise ArtifactError(
            f"cannot create model cache {cache_root} ({err.strerror}): set BTRNN_MODEL_CACHE to "
            "a folder this user can write"
        ) from err
    cache_root = cache_root.resolve()
    mode = cache_root.stat().st_mode
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        raise ArtifactError(
            f"model cache {cache_root} is writable by every user (mode {stat.filemode(mode)}): "
            "any user could replace a model in it; use a private folder (BTRNN_MODEL_CACHE) or "
            f"chmod 700 {cache_root}"
        )
    return cache_root


def _cached_copy_ok(final: Path, manifest_raw: bytes) -> bool:
    """A cached copy is used only if its manifest is the store's, byte for byte, and every
    file has its checksum (a same-size edit passes a size check)."""
    try:
        if (final / MANIFEST).read_bytes() != manifest_raw:
            return False
        verify(final)
    except (OSError, ArtifactError):
        return False
    return True


def _quarantine(path: Path) -> None:
    """Take a broken copy out of the final place atomically, then delete it."""
    aside = path.with_name(f"{_STALE_PREFIX}{path.name}-{uuid.uuid4().hex}")
    with suppress(FileNotFoundError):  # another process moved it first
        os.rename(path, aside)
    shutil.rmtree(aside, ignore_errors=True)


def _move_into_place(tmp: Path, final: Path, version: str, manifest_raw: bytes) -> None:
    """Rename tmp to final; if another process got there first with a complete copy, keep it."""
    for _ in range(5):
        try:
            os.rename(tmp, final)
            return
        except OSError as err:
            if err.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
        if _cached_copy_ok(final, manifest_raw):
            return  # lost the race to an equally verified copy; the caller removes tmp
        log.warning("replacing incomplete cached copy %s", final)
        _quarantine(final)
    raise ArtifactError(f"could not place {version} at {final}: it keeps being replaced")


def _sweep_stale(cache_root: Path) -> None:
    """Remove temporary and quarantined directories left by killed fetches long ago."""
    cutoff = time.time() - _STALE_TEMP_AGE_S
    for entry in cache_root.iterdir():
        if entry.name.startswith((_TMP_PREFIX, _STALE_PREFIX)):
            with suppress(OSError):
                if entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry, ignore_errors=True)
