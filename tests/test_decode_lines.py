"""Reading a text's lines in blocks (Decoded.blocks) gives exactly what reading it line by line gives:
numbers, byte offsets, texts without line ends, and lines over the limit skipped with their size."""

from __future__ import annotations

import io
import random

import pytest

from signins.ingest import decode


def lines_one_by_one(stream, max_line: int):
    """The reference: readline, as the reader worked before it read blocks."""
    offset, number = 0, 0
    while line := stream.readline(max_line + 1):
        number += 1
        size = len(line)
        if size > max_line and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                size += len(rest)
            size += len(rest)
            yield number, offset, size
        else:
            yield number, offset, line.rstrip(b"\r\n")
        offset += size


@pytest.mark.parametrize("seed", range(4))
def test_block_reads_give_the_lines_a_line_by_line_read_gives(monkeypatch, seed: int):
    rnd = random.Random(seed)
    pieces = [b"", b"{}", b"\r", b'{"a":1}\r', b"  ", *(b"x" * n for n in (1, 7, 20, 39, 40, 41, 90))]
    for _ in range(800):
        text = b"".join(rnd.choice(pieces) + b"\n" for _ in range(rnd.randint(0, 12))) + rnd.choice(
            [b"", b"tail", b"y" * 50]
        )
        max_line = rnd.randint(1, 45)
        monkeypatch.setattr(decode, "BLOCK_BYTES", rnd.randint(1, 64))
        blocks = decode.Decoded(io.BufferedReader(io.BytesIO(text)), "utf-8", b"").blocks(max_line)
        got = [line for block in blocks for line in block.lines()]
        assert got == list(lines_one_by_one(io.BufferedReader(io.BytesIO(text)), max_line)), (text, max_line)


def test_a_block_of_lines_knows_where_each_lies():
    data = b'{}\r\n{"a":1}\n\nlast'
    block = decode.LineBlock(5, 100, data, 0, [4, 12, 13, 17])
    assert block.starts == [0, 4, 12, 13] and block.content_lengths() == [2, 7, 0, 4]
    assert block.line(1) == (6, 104, b'{"a":1}')
    head, tail = block.split(1)
    assert (len(head), head.size, tail.number, tail.offset, tail.start) == (1, 4, 6, 104, 4)
    assert list(tail.lines()) == [(6, 104, b'{"a":1}'), (7, 112, b""), (8, 113, b"last")]
    assert [type(part).__name__ for part in block.bounded(6)] == ["LineBlock", "LongLine", "LineBlock"]
