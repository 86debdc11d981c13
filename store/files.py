"""Where uploaded evidence files are kept: a folder (the data folder's ``evidence/`` by default, or a
path every API replica mounts) or an S3-compatible object store, chosen by ``LINKAGE_EVIDENCE_URL``.

A file is named by its case and its SHA-256, so keeping the same file twice keeps one; the
reference an evidence item carries (``evidence/<case>/<sha256>``) is the same wherever it is kept.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from settings import Settings


def reference(case_id: str, sha256: str) -> str:
    return f"evidence/{case_id}/{sha256}"


class EvidenceFiles(Protocol):
    def keep(self, case_id: str, sha256: str, source: Path) -> bool:
        """Take ``source`` in as the case's file with that fingerprint (``source`` is gone after);
        True when it was not kept before."""

    def forget(self, case_id: str, sha256: str) -> None:
        """The file is no longer kept (the step that brought it was refused)."""

    def holds(self, case_id: str, sha256: str) -> bool: ...


class FolderFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, case_id: str, sha256: str) -> Path:
        return self.root / case_id / sha256

    def keep(self, case_id: str, sha256: str, source: Path) -> bool:
        final = self._path(case_id, sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        new = not final.exists()
        try:
            os.replace(source, final)
        except OSError:  # another file system (a mounted share): copy beside it, then rename
            with tempfile.NamedTemporaryFile(dir=final.parent, delete=False) as copy:
                pass
            try:
                shutil.copyfile(source, copy.name)
                os.replace(copy.name, final)  # never a half-copied file under a fingerprint
            finally:
                Path(copy.name).unlink(missing_ok=True)
                source.unlink(missing_ok=True)
        return new

    def forget(self, case_id: str, sha256: str) -> None:
        self._path(case_id, sha256).unlink(missing_ok=True)

    def holds(self, case_id: str, sha256: str) -> bool:
        return self._path(case_id, sha256).exists()


class ObjectFiles:
    """An S3-compatible bucket (MinIO, Ceph, a cloud's): objects ``<prefix>/<case>/<sha256>``.
    Credentials come from the standard ``AWS_*`` variables (or the instance's role), with
    s3:GetObject (for HEAD), s3:PutObject, s3:DeleteObject and s3:ListBucket: without the last, a
    missing object answers 403 instead of 404."""

    def __init__(self, bucket: str, prefix: str, endpoint: str | None, region: str | None) -> None:
        import boto3  # type: ignore[import-untyped]  # only a deployment storing to S3 loads it

        self.bucket, self.prefix = bucket, prefix.strip("/")
        # One client for the process, from a session of its own (boto3's default session is not
        # safe across threads; a client is): made once, at start-up.
        self.client: Any = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name=region
        )

    def _key(self, case_id: str, sha256: str) -> str:
        return f"{self.prefix}/{case_id}/{sha256}" if self.prefix else f"{case_id}/{sha256}"

    def holds(self, case_id: str, sha256: str) -> bool:
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(case_id, sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def keep(self, case_id: str, sha256: str, source: Path) -> bool:
        new = not self.holds(case_id, sha256)
        if new:
            self.client.upload_file(
                str(source),
                self.bucket,
                self._key(case_id, sha256),
                ExtraArgs={"ChecksumAlgorithm": "SHA256"},  # the store checks what it received
            )
        source.unlink(missing_ok=True)
        return new

    def forget(self, case_id: str, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(case_id, sha256))


def evidence_files(settings: Settings) -> EvidenceFiles:
    """The store ``LINKAGE_EVIDENCE_URL`` names: empty, the data folder's ``evidence/``;
    ``file:///srv/evidence``, that folder; ``s3://bucket/prefix``, that bucket (at
    ``LINKAGE_EVIDENCE_S3_ENDPOINT`` for a store other than AWS)."""
    url = urlsplit(settings.evidence_url)
    if url.scheme == "s3":
        return ObjectFiles(
            url.netloc,
            url.path,
            settings.evidence_s3_endpoint or None,
            settings.evidence_s3_region or None,
        )
    if url.scheme == "file":
        return FolderFiles(Path(url.path))
    return FolderFiles(settings.data_dir / "evidence")
