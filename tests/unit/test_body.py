"""Reading bodies within caps, gzip included, without inflating bombs."""

from __future__ import annotations

import gzip
import io
import time
import zlib

import pytest

from governance.ingest.body import read_body
from governance.ingest.errors import BodyTooLarge, MalformedBody, UnsupportedMediaType

MIB = 1024 * 1024


def test_plain_body_is_returned_as_is() -> None:
    """identity or no encoding returns the bytes."""
    assert read_body(io.BytesIO(b"{}"), content_encoding=None, max_bytes=10) == b"{}"
    assert read_body(io.BytesIO(b"{}"), content_encoding="identity", max_bytes=10) == b"{}"


def test_gzip_body_is_inflated() -> None:
    """gzip (and x-gzip) bodies are decoded."""
    payload = b'{"a": "' + b"x" * 200_000 + b'"}'
    for encoding in ("gzip", "x-gzip", "GZIP"):
        assert (
            read_body(io.BytesIO(gzip.compress(payload)), content_encoding=encoding, max_bytes=MIB) == payload
        )


def test_plain_body_over_the_cap_is_refused() -> None:
    """One byte over the cap is too large."""
    with pytest.raises(BodyTooLarge):
        read_body(io.BytesIO(b"x" * 11), content_encoding=None, max_bytes=10)


def test_gzip_bomb_is_refused_without_inflating_it() -> None:
    """A 1 GiB bomb (1 MiB on the wire) is refused quickly, past the cap, not after inflating it all."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * MIB
    bomb = b"".join(compressor.compress(zeros) for _ in range(1024)) + compressor.flush()
    started = time.perf_counter()
    with pytest.raises(BodyTooLarge):
        read_body(io.BytesIO(bomb), content_encoding="gzip", max_bytes=4 * MIB)
    assert time.perf_counter() - started < 2.0


def test_truncated_and_corrupt_gzip_are_malformed() -> None:
    """A cut or garbled stream is a malformed body, not a server error."""
    packed = gzip.compress(b"{}" * 1000)
    with pytest.raises(MalformedBody, match="truncated"):
        read_body(io.BytesIO(packed[:-12]), content_encoding="gzip", max_bytes=MIB)
    with pytest.raises(MalformedBody, match="corrupt"):
        read_body(io.BytesIO(b"\x1f\x8b" + b"\0" * 30), content_encoding="gzip", max_bytes=MIB)


@pytest.mark.parametrize("encoding", ["br", "deflate", "compress", "zstd"])
def test_other_encodings_are_unsupported(encoding: str) -> None:
    """Only identity and gzip are read."""
    with pytest.raises(UnsupportedMediaType, match=encoding):
        read_body(io.BytesIO(b"{}"), content_encoding=encoding, max_bytes=10)
