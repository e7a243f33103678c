"""Read a request body within a byte cap, inflating gzip as a stream so a bomb never fills memory."""

from __future__ import annotations

import zlib
from typing import IO

from governance.ingest.errors import BodyTooLarge, MalformedBody, UnsupportedMediaType

CHUNK_BYTES = 64 * 1024
_IDENTITY = {"", "identity"}
_GZIP = {"gzip", "x-gzip"}


def read_body(stream: IO[bytes], *, content_encoding: str | None, max_bytes: int) -> bytes:
    """Return the decoded body, reading at most ``max_bytes`` of input and producing at most that much.

    Raises:
        UnsupportedMediaType: for any Content-Encoding but identity and gzip.
        BodyTooLarge: when the wire body or its inflated form is over ``max_bytes``.
        MalformedBody: when a gzip stream is corrupt or truncated.
    """
    encoding = (content_encoding or "").strip().lower()
    if encoding in _IDENTITY:
        return _read_capped(stream, max_bytes)
    if encoding in _GZIP:
        return _inflate_capped(stream, max_bytes)
    raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported; send identity or gzip")


def _read_capped(stream: IO[bytes], max_bytes: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while chunk := stream.read(min(CHUNK_BYTES * 16, max_bytes + 1 - size)):
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(max_bytes)
        parts.append(chunk)
    return b"".join(parts)


def _inflate_capped(stream: IO[bytes], max_bytes: int) -> bytes:
    # wbits 16+MAX_WBITS: gzip header and trailer, as RFC 9110 "gzip" means.
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    parts: list[bytes] = []
    produced = wire_bytes = 0
    while not inflater.eof:
        pending = stream.read(CHUNK_BYTES)
        if not pending:
            raise MalformedBody("gzip body is truncated")
        wire_bytes += len(pending)
        if wire_bytes > max_bytes:
            raise BodyTooLarge(max_bytes)
        while pending and not inflater.eof:
            try:
                # max_length bounds each step's output, so a bomb stops one step past the cap.
                out = inflater.decompress(pending, max_bytes + 1 - produced)
            except zlib.error as err:
                raise MalformedBody(f"gzip body is corrupt: {err}") from err
            produced += len(out)
            if produced > max_bytes:
                raise BodyTooLarge(max_bytes)
            parts.append(out)
            pending = inflater.unconsumed_tail
    return b"".join(parts)
