"""Atomic writes: a write that fails leaves the previous file and no temporary file, and says why."""

import errno

import pytest

from classifier import WriteError
from classifier.fileio import atomic_write, atomic_write_text, csv_cell


@pytest.mark.parametrize("code, said", [(errno.ENOSPC, "No space left on device: the disk is full"),
                                        (errno.EFBIG, "File too large: past the largest file allowed here"),
                                        (errno.EIO, "Input/output error")])
def test_a_failed_write_names_the_file_and_why_and_keeps_the_old_one(tmp_path, code, said):
    path = tmp_path / "out.jsonl"
    path.write_text("before\n", encoding="utf-8")

    def fails(tmp):
        with open(tmp, "w") as handle:
            handle.write("half")
        raise OSError(code, __import__("os").strerror(code))

    with pytest.raises(WriteError) as caught:
        atomic_write(path, fails)
    assert str(caught.value) == f"{path}: could not be written ({caught.value.strerror}); the file there is unchanged"
    assert said in str(caught.value) and caught.value.errno == code and caught.value.filename == str(path)
    assert isinstance(caught.value, OSError)  # callers that catch OSError still do
    assert path.read_text(encoding="utf-8") == "before\n" and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_a_folder_that_cannot_be_made_is_a_write_error(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(WriteError, match=r"file/sub/out\.json: could not be written \(.*\); nothing was written"):
        atomic_write_text(tmp_path / "file" / "sub" / "out.json", "{}")


def test_csv_cells_that_look_like_formulas_are_quoted():
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("a") == "a" and csv_cell(3) == 3
