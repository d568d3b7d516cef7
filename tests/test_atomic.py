"""The one write-then-replace helper every file write goes through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quizzer import atomic


def test_write_bytes_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deck.toml"
    target.write_text("old")
    atomic.write_bytes(target, b"new", durable=True)
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.toml"]


def test_a_failure_in_the_block_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "deck.toml"
    target.write_text("old")
    with pytest.raises(ValueError), atomic.replacing(target) as temp:
        temp.write_text("half")
        raise ValueError("refused by a check")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["deck.toml"]


def test_a_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep")
    link = tmp_path / "link"
    link.symlink_to(elsewhere)
    atomic.write_bytes(link, b"new")
    assert not link.is_symlink()
    assert link.read_bytes() == b"new"
    assert elsewhere.read_text() == "keep"


def test_mode_is_the_umask_default_unless_given(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        atomic.write_bytes(tmp_path / "a", b"")
        atomic.write_bytes(tmp_path / "b", b"", mode=0o600)
    finally:
        os.umask(mask)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o600
