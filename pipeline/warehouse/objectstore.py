"""The S3-compatible object store under a ``s3://bucket/prefix`` warehouse root.

Endpoint and credentials come from the standard AWS variables, read by delta-rs and by
``pyarrow.fs.S3FileSystem`` alike: ``AWS_ENDPOINT_URL`` (an S3-compatible service such as MinIO;
unset for AWS), ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` (``AWS_SESSION_TOKEN``),
``AWS_REGION`` (``us-east-1`` by default) and ``AWS_ALLOW_HTTP=true`` for a plain-HTTP endpoint.
Delta commits are made safe against concurrent writers by the store's conditional PUT
(``AWS_CONDITIONAL_PUT``, ``etag`` by default: AWS S3, MinIO, R2 and moto support it), or by a
DynamoDB lock when ``AWS_S3_LOCKING_PROVIDER=dynamodb`` is set instead.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import pyarrow.fs as pafs

#: URL schemes of the object stores a warehouse root may name.
SCHEMES = ("s3",)

#: The variables clout reads (passed to delta-rs as ``storage_options`` when set).
VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ALLOW_HTTP",
    "AWS_CONDITIONAL_PUT",
    "AWS_S3_LOCKING_PROVIDER",
    "DELTA_DYNAMO_TABLE_NAME",
    "AWS_S3_ALLOW_UNSAFE_RENAME",
)


def is_remote(root: object) -> bool:
    """Whether a warehouse root names an object store (``s3://bucket/prefix``)."""
    return isinstance(root, str) and "://" in root


def split_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (``bucket``, ``prefix``); ValueError for another scheme or a
    bucket name shorter than 3 characters."""
    parts = urlsplit(uri)
    if parts.scheme not in SCHEMES:
        raise ValueError(f"warehouse {uri!r}: object stores are named s3://bucket/prefix")
    if len(parts.netloc) < 3:
        raise ValueError(f"warehouse {uri!r}: an S3 bucket name has at least 3 characters")
    return parts.netloc, parts.path.strip("/")


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def storage_options() -> dict[str, str]:
    """delta-rs ``storage_options`` from the environment (see the module docstring)."""
    opts = {k: os.environ[k] for k in VARIABLES if os.environ.get(k)}
    opts["AWS_REGION"] = region()
    endpoint = opts.get("AWS_ENDPOINT_URL", "")
    if endpoint.startswith("http://"):
        opts.setdefault("AWS_ALLOW_HTTP", "true")
    if "AWS_S3_LOCKING_PROVIDER" not in opts and "AWS_S3_ALLOW_UNSAFE_RENAME" not in opts:
        opts.setdefault("AWS_CONDITIONAL_PUT", "etag")  # commits: put-if-absent, no lock table
    return opts


def filesystem() -> pafs.S3FileSystem:
    """A ``pyarrow.fs`` S3 filesystem for the raw zone and manifests (same variables)."""
    import pyarrow.fs as pafs

    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    kwargs: dict[str, object] = {"region": region()}
    if endpoint:
        parts = urlsplit(endpoint)
        kwargs["endpoint_override"] = parts.netloc + parts.path.rstrip("/")
        kwargs["scheme"] = parts.scheme or "https"
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        kwargs["access_key"] = os.environ["AWS_ACCESS_KEY_ID"]
        kwargs["secret_key"] = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        if os.environ.get("AWS_SESSION_TOKEN"):
            kwargs["session_token"] = os.environ["AWS_SESSION_TOKEN"]
    return pafs.S3FileSystem(**kwargs)
