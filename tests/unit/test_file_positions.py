"""The file marks' rules, without files: assess, the legacy state, complete lines, headers."""

from __future__ import annotations

import io

from headwater.connectors.file_positions import (
    Change,
    FileMark,
    FileMarks,
    FileStat,
    assess,
    complete_end,
    header_line,
    to_parse,
)

HEAD = b"id,name\n1,a\n"


def mark(offset: int = len(HEAD), inode: int | None = 7) -> FileMark:
    return FileMark.of(FileStat(len(HEAD), 10.0, 1, inode), HEAD, offset)


def test_assess_tells_growth_truncation_and_replacement() -> None:
    grown = HEAD + b"2,b\n"
    assert assess(mark(), FileStat(len(grown), 11.0, 1, 7), grown, True).change is Change.GREW
    assert assess(mark(), FileStat(len(HEAD), 11.0, 1, 7), HEAD, True).change is Change.UNCHANGED
    assert assess(mark(), FileStat(5, 11.0, 1, 7), HEAD[:5], True).change is Change.TRUNCATED
    other_inode = assess(mark(), FileStat(len(grown), 11.0, 1, 8), grown, True)
    assert (other_inode.change, other_inode.start) == (Change.REPLACED, 0)
    rewritten = b"id,name\n9,z\n3,c\n"  # no inode (SFTP): the first block's hash tells
    by_hash = assess(mark(inode=None), FileStat(len(rewritten), 11.0), rewritten, True)
    assert by_hash.change is Change.REPLACED
    assert assess(None, FileStat(1, 1.0), b"x", True).change is Change.NEW


def test_a_file_that_cannot_grow_by_lines_is_read_whole_when_it_changes() -> None:
    same = assess(mark(), FileStat(len(HEAD), 10.0, 1, 7), HEAD, False)
    assert same.change is Change.UNCHANGED
    for now in (FileStat(len(HEAD), 11.0, 1, 7), FileStat(len(HEAD), 10.0, 1, 8)):
        plan = assess(mark(), now, HEAD, False)
        assert (plan.change, plan.start) == (Change.REWRITTEN, 0)
        assert "read again whole" in (plan.notice("x.parquet") or "")


def test_a_legacy_state_means_read_whole_at_that_mtime() -> None:
    legacy = {"cursor": 10.0, "at_cursor": ["a.csv"]}
    marks = FileMarks(legacy)
    seen = marks.plan("a.csv", FileStat(len(HEAD), 10.0, 1, 7), HEAD, True)
    assert seen.change is Change.UNCHANGED
    newer = marks.plan("b.csv", FileStat(len(HEAD), 11.0, 1, 9), HEAD, True)
    assert newer.change is Change.NEW


def test_marks_of_files_no_longer_listed_go_at_the_end() -> None:
    before = FileMarks({"files": {"gone.csv": mark().as_dict(), "kept.csv": mark().as_dict()}})
    state = before.done("kept.csv", FileStat(len(HEAD), 10.0, 1, 7), HEAD, len(HEAD))
    assert sorted(state["files"]) == ["gone.csv", "kept.csv"]  # mid-read: all kept
    assert sorted((before.final() or {})["files"]) == ["kept.csv"]


def test_only_complete_lines_with_the_header_before_them() -> None:
    data = io.BytesIO(b"id,name\n1,a\n2,b\n3,hal")
    assert complete_end(data, 0, len(data.getvalue())) == 16
    assert complete_end(data, 16, len(data.getvalue())) == 16
    header = header_line(lambda n: data.getvalue()[:n])
    assert header == b"id,name\n"
    parsed, end = to_parse(data, 12, len(data.getvalue()), lines=True, prefix=header)
    assert parsed is not None
    assert (parsed.read(), end) == (b"id,name\n2,b\n", 16)
    nothing, where = to_parse(data, 16, len(data.getvalue()), lines=True)
    assert (nothing, where) == (None, 16)
