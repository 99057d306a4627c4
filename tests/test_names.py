"""Remote names that could escape dest are refused; globs mean the same on both hubs."""

import os

import pytest

from hubctl.download.patterns import select
from hubctl.errors import ExitCode
from hubctl.integrity.safepath import SymlinkInDestError, UnsafeNameError, check_remote_path, local_path


@pytest.mark.parametrize(
    "name",
    [
        "../evil",
        "a/../../evil",
        "/etc/passwd",
        "C:/x",
        "a\\b",
        "a\0b",
        "",
        "a//b",
        "./a",
        ".hubctl/manifest.json",
        "w.bin.0123456789abcdef.hubctl-partial",
    ],
)
def test_unsafe_names_are_refused(name):
    with pytest.raises(UnsafeNameError) as info:
        check_remote_path(name)
    assert info.value.exit_code == ExitCode.INTEGRITY


def test_ordinary_names_pass():
    for name in ["config.json", "sub/dir/weights.bin", "..hidden", "a..b/c", "中文/模型.bin"]:
        assert check_remote_path(name) == name


def test_symlink_inside_dest_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "sub")
    with pytest.raises(SymlinkInDestError) as info:
        local_path(dest, "sub/file.bin")
    assert info.value.exit_code == ExitCode.LOCAL_IO
    assert local_path(dest, "other/file.bin") == dest / "other" / "file.bin"


def test_globs_have_huggingface_meaning():
    paths = ["config.json", "sub/dir/a.json", "sub/dir/w.bin", "model.safetensors"]
    same = lambda p: p  # noqa: E731
    assert select(paths, same, ["*.json"], []) == ["config.json", "sub/dir/a.json"]  # * crosses /
    assert select(paths, same, ["sub/"], []) == ["sub/dir/a.json", "sub/dir/w.bin"]
    assert select(paths, same, [], ["*.bin", "*.safetensors"]) == ["config.json", "sub/dir/a.json"]
    assert select(paths, same, ["sub/*"], ["*.bin"]) == ["sub/dir/a.json"]
