"""Open transcript files: decoding, the 10 MB line limit, and the head used for sniffing.

Files are UTF-8; a UTF-8 byte-order mark is skipped, and UTF-16 is accepted when it
starts with its byte-order mark. Anything else is refused with the byte offset of the
first byte that is not UTF-8, so the user can find it.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from agentassist.errors import TranscriptFormatError

MAX_LINE_BYTES = 10 * 1024 * 1024
"""Longest line accepted, in bytes (about characters for UTF-8 text)."""

HEAD_BYTES = 64 * 1024
"""How much of a file the sniffers see."""

_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise TranscriptFormatError("file not found", source=path) from None
    except IsADirectoryError:
        raise TranscriptFormatError(
            "is a folder; expected a transcript file", source=path
        ) from None
    except OSError as exc:
        raise TranscriptFormatError(f"cannot open: {exc.strerror}", source=path) from None


def _encoding(stream: BinaryIO, path: Path) -> tuple[str, int]:
    """Return the encoding of ``stream`` and the length of its byte-order mark."""
    start = stream.read(4)
    stream.seek(0)
    if start.startswith(_UTF32_BOMS):
        raise TranscriptFormatError(
            "is UTF-32 (it starts with a UTF-32 byte-order mark); expected UTF-8 or "
            "UTF-16; re-save the file as UTF-8",
            source=path,
        )
    for bom, encoding in _BOMS:
        if start.startswith(bom):
            return encoding, len(bom)
    return "utf-8", 0


def _not_utf8(path: Path, line: int | None, offset: int, data: bytes) -> TranscriptFormatError:
    guess = ""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    else:
        guess = " (it may be Windows-1252 or Latin-1)"
    return TranscriptFormatError(
        f"not UTF-8{guess}: byte 0x{data[0]:02x} at byte offset {offset} cannot be "
        "decoded; expected UTF-8 text, with or without a byte-order "
        "mark, or UTF-16 with a byte-order mark; re-save the file as UTF-8",
        source=path,
        line=line,
    )


def _too_long(path: Path, line: int) -> TranscriptFormatError:
    return TranscriptFormatError(
        f"line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB, the most a line may "
        "hold; expected one transcript (or less) per line; split the file or check "
        "that it is a transcript at all",
        source=path,
        line=line,
    )


def _strip_newline(text: str) -> str:
    if text.endswith("\n"):
        text = text[:-1]
    if text.endswith("\r"):
        text = text[:-1]
    return text


def iter_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line, numbered from 1, newline removed.

    Reads one line at a time, never more than :data:`MAX_LINE_BYTES` of it, so a huge
    file streams and a huge line is refused without being loaded.

    Raises:
        TranscriptFormatError: the file can't be opened, isn't UTF-8 (or UTF-16 with a
            byte-order mark), or has a line over the limit.
    """
    path = Path(path)
    with _open(path) as stream:
        encoding, bom = _encoding(stream, path)
        stream.seek(bom)
        if encoding != "utf-8":
            yield from _iter_utf16(stream, encoding, path)
            return
        offset, number = bom, 0
        while chunk := stream.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
                raise _too_long(path, number)
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _not_utf8(path, number, offset + exc.start, chunk[exc.start :]) from None
            offset += len(chunk)
            yield number, _strip_newline(text)


def _iter_utf16(stream: BinaryIO, encoding: str, path: Path) -> Iterator[tuple[int, str]]:
    with io.TextIOWrapper(stream, encoding=encoding, newline=None) as text_stream:
        yield from _iter_text(text_stream, encoding, path)


def _iter_text(
    text_stream: io.TextIOWrapper, encoding: str, path: Path
) -> Iterator[tuple[int, str]]:
    limit = MAX_LINE_BYTES // 2  # two bytes a character
    number = 0
    while True:
        try:
            text = text_stream.readline(limit + 1)
        except UnicodeDecodeError:
            raise TranscriptFormatError(
                f"not valid {encoding.upper()} after its byte-order mark; expected UTF-8, "
                "or UTF-16 throughout; re-save the file as UTF-8",
                source=path,
                line=number + 1,
            ) from None
        if not text:
            return
        number += 1
        if len(text) > limit and not text.endswith("\n"):
            raise _too_long(path, number)
        yield number, _strip_newline(text)


def read_text(path: str | Path) -> str:
    r"""Return the whole file as text, lines joined with ``\n`` (so line numbers hold).

    Raises:
        TranscriptFormatError: as :func:`iter_lines`.
    """
    return "\n".join(text for _, text in iter_lines(path))


def read_head(path: str | Path, size: int = HEAD_BYTES) -> str:
    """Return about the first ``size`` bytes of the file as text, for sniffing.

    Raises:
        TranscriptFormatError: the file can't be opened, or its head isn't UTF-8 (or
            UTF-16 with a byte-order mark) or holds a NUL byte (UTF-16 without one).
    """
    path = Path(path)
    with _open(path) as stream:
        encoding, bom = _encoding(stream, path)
        stream.seek(bom)
        data = stream.read(size)
    if encoding == "utf-8" and b"\x00" in data:
        offset = data.index(b"\x00")
        raise TranscriptFormatError(
            f"has a NUL byte at byte offset {bom + offset}: it looks like UTF-16 without a "
            "byte-order mark, or not text at all; expected UTF-8 text (or UTF-16 with a "
            "byte-order mark); re-save the file as UTF-8",
            source=path,
            line=data.count(b"\n", 0, offset) + 1,
        )
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        # final=False: the cut may fall inside a character; that is not an error.
        head = str(decoder.decode(data, final=False))
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise TranscriptFormatError(
                f"not valid {encoding.upper()} after its byte-order mark; expected "
                "UTF-8, or UTF-16 throughout; re-save the file as UTF-8",
                source=path,
            ) from None
        line = data.count(b"\n", 0, exc.start) + 1
        raise _not_utf8(path, line, bom + exc.start, data[exc.start :]) from None
    return head
