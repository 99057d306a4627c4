"""Datasets on both hubs (issue 21 point 20): `--repo-type dataset` and the `[hf:|ms:]datasets/owner/name`
forms pull through the dataset routes with the same guarantees as models, the manifest records the repo
type, and `verify --repair` and `pull --manifest` go back to the dataset routes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulltools import cli, tree_bytes
from test_real_modelscope import EP, FakeSession

from hubctl.download.sources.modelscope import ModelScope
from hubctl.errors import IntegrityError
from hubctl.integrity.manifest import read_manifest
from hubctl.server import HubServer, RepoStore

DATA = {"README.md": b"# data\n", "data/train.csv": b"a,b\n1,2\n", "data/test.parquet": bytes(range(256)) * 16}


@pytest.fixture
def data_hub():
    store = RepoStore()
    store.add_files("acme/data", DATA, repo_type="dataset")
    store.add_files("acme/model", {"config.json": b"{}\n"})
    store.add_files("acme/many", {f"f/{i:04d}.txt": b"%d\n" % i for i in range(450)}, repo_type="dataset")
    with HubServer(store) as hub:
        yield hub
    store.close()


def pull(hub: HubServer, dest: Path, *args: str, timeout: int = 120):
    env = {"MODELSCOPE_ENDPOINT": hub.endpoint, "HF_ENDPOINT": hub.endpoint}
    return cli("pull", *args, "--dest", str(dest), "-q", env=env, timeout=timeout)


def api_paths(hub: HubServer) -> list[str]:
    return [r.path for r in hub.log() if r.origin == "api"]


@pytest.mark.parametrize(
    ("args", "source", "listing", "download"),
    [
        (
            ("ms:datasets/acme/data",),
            "modelscope",
            "/api/v1/datasets/acme/data/repo/tree?",
            "/api/v1/datasets/acme/data/repo?",
        ),
        (
            ("acme/data", "--source", "modelscope", "--repo-type", "dataset"),
            "modelscope",
            "/api/v1/datasets/acme/data/repo/tree?",
            "/api/v1/datasets/acme/data/repo?",
        ),
        (("hf:datasets/acme/data",), "hf", "/api/datasets/acme/data/tree/", "/datasets/acme/data/resolve/"),
        (("datasets/acme/data",), "hf", "/api/datasets/acme/data/tree/", "/datasets/acme/data/resolve/"),
    ],
)
def test_dataset_pull_uses_the_dataset_routes_and_records_the_type(data_hub, tmp_path, args, source, listing, download):
    commit = data_hub.store.resolve("acme/data", "master").sha
    proc = pull(data_hub, tmp_path / "d", *args)
    assert proc.returncode == 0, proc.stderr
    assert tree_bytes(tmp_path / "d") == DATA
    manifest = read_manifest(tmp_path / "d" / ".hubctl" / "manifest.json")
    got = (manifest.repo_type, manifest.source, manifest.repo, manifest.commit)
    assert got == ("dataset", source, "acme/data", commit)
    paths = api_paths(data_hub)
    assert any(p.startswith(listing) for p in paths)
    assert [p for p in paths if p.startswith(download)] and all("/models/" not in p for p in paths)
    if source == "modelscope":  # downloads by commit, listing paged like the official client
        assert all(f"Revision={commit}" in p for p in paths if p.startswith(download))
        assert all("PageNumber=1" in p and "PageSize=200" in p for p in paths if p.startswith(listing))


def test_dataset_listing_pages_to_the_end(data_hub, tmp_path):
    proc = pull(data_hub, tmp_path / "d", "ms:datasets/acme/many", "--include", "f/0449.txt")
    assert proc.returncode == 0, proc.stderr
    assert tree_bytes(tmp_path / "d") == {"f/0449.txt": b"449\n"}
    pages = [p for p in api_paths(data_hub) if "/repo/tree?" in p]
    assert len(pages) == 3 and [f"PageNumber={n}" in p for n, p in enumerate(pages, 1)] == [True] * 3


def test_a_hub_that_ignores_page_number_is_refused_not_looped(fast):
    page = {
        "Code": 200,
        "Success": True,
        "Data": {"Files": [{"Path": f"f{i}", "Type": "blob", "Size": 1, "Sha256": "ab" * 32} for i in range(200)]},
    }
    session = FakeSession([("/repo/tree", {}, 200, page, {})])
    with pytest.raises(IntegrityError, match="page 2 repeats"):
        ModelScope("dataset").snapshot(session, EP, "acme/d", "a" * 40)  # type: ignore[arg-type]
    assert len(session.requests) == 2


def test_repo_type_conflicts_and_wrong_type_are_clear(data_hub, tmp_path):
    proc = pull(data_hub, tmp_path / "a", "ms:datasets/acme/data", "--repo-type", "model")
    assert proc.returncode == 2 and "--repo-type" in proc.stderr
    proc = pull(data_hub, tmp_path / "b", "ms:datasets/acme/model")  # a model, asked for as a dataset
    assert proc.returncode == 3 and "record not found" in proc.stderr
    proc = pull(data_hub, tmp_path / "c", "hf:datasets/acme/model")
    assert proc.returncode == 3


@pytest.mark.parametrize("repo", ["ms:datasets/acme/data", "hf:datasets/acme/data"])
def test_verify_repair_and_pull_manifest_go_back_to_the_dataset_routes(data_hub, tmp_path, repo):
    dest = tmp_path / "d"
    assert pull(data_hub, dest, repo).returncode == 0
    (dest / "data" / "train.csv").unlink()
    (dest / "README.md").write_bytes(b"tampered\n")
    data_hub.reset_log()
    proc = cli("verify", str(dest), "--repair", "-q", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert tree_bytes(dest) == DATA
    assert api_paths(data_hub) and all("datasets/acme/data" in p for p in api_paths(data_hub))

    data_hub.reset_log()
    other = tmp_path / "other"
    proc = cli("pull", "--manifest", str(dest / ".hubctl" / "manifest.json"), "--dest", str(other), "-q", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert tree_bytes(other) == DATA
    assert read_manifest(other / ".hubctl" / "manifest.json").repo_type == "dataset"
    assert api_paths(data_hub) and all("datasets/acme/data" in p for p in api_paths(data_hub))
