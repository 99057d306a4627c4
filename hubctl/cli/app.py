"""Command-line interface: parse options, call the library, render the result. No logic lives here.

Imports of heavy modules happen inside commands, so `hubctl --help`, `pull` and `verify` start fast.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from typing import Callable, List, Optional

import typer

from hubctl import __version__, constants
from hubctl.cli.main import SOURCES as _SOURCES
from hubctl.cli.main import Reported, VerifyArgs, run_command, verify_command
from hubctl.cli.main import hash_bar as _hash_bar
from hubctl.cli.main import progress_for as _progress
from hubctl.errors import HubctlError, UsageError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Verified, resumable model snapshots from Hugging Face, its mirrors and ModelScope.",
)

_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.][A-Za-z0-9_.-]*$")


def _exit_after_report(err: HubctlError) -> None:
    """A report (human or JSON) is already printed: add the one-line reason and exit with its code."""
    raise Reported(err)


def _run(call: Callable[[], None], as_json: bool = False) -> None:
    """Turn library errors into one-line messages and documented exit codes."""
    code = run_command(call, as_json)
    if code:
        raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        print(f"hubctl {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """hubctl: pull, verify, quantize and smoke-test models, with SHA-256 lockfiles."""


def parse_repo_type(repo: str, repo_type: Optional[str]) -> tuple[str, Optional[str]]:
    """`[hf:|ms:]datasets/owner/name` -> (`[hf:|ms:]owner/name`, "dataset"); `--repo-type` must agree.
    The type is None when neither says (the caller's default: a lockfile's type, else model)."""
    prefix, colon, rest = repo.rpartition(":")
    kind = None
    if rest.startswith(("datasets/", "models/")) and rest.count("/") == 2:
        kind, _, rest = rest.partition("/")
        kind = kind[:-1]
    if repo_type not in (None, "model", "dataset"):
        raise UsageError(f"--repo-type must be model or dataset, got {repo_type!r}")
    if kind and repo_type and kind != repo_type:
        raise UsageError(f"repo {repo!r} is a {kind} but --repo-type says {repo_type}")
    return prefix + colon + rest, kind or repo_type


def parse_repo(repo: str, source: Optional[str]) -> tuple[str, str]:
    """`hf:org/name`, `ms:org/name` or `org/name` with --source; returns (source, repo id)."""
    prefix, _, rest = repo.partition(":")
    if rest and prefix in _SOURCES:
        if source and _SOURCES.get(source) != _SOURCES[prefix]:
            raise UsageError(f"repo prefix {prefix}: conflicts with --source {source}")
        source, repo = prefix, rest
    name = _SOURCES.get(source or "hf")
    if name is None:
        raise UsageError(f"unknown source {source!r}: use hf or modelscope")
    if not _REPO_ID.match(repo) or ".." in repo:
        raise UsageError(f"repo must look like owner/name (letters, digits, - _ .), got {repo!r}")
    return name, repo


@app.command()
def pull(
    repo: Optional[str] = typer.Argument(None, help="owner/name, optionally prefixed hf: or ms: (default with --manifest: the lockfile's)"),
    manifest: Optional[Path] = typer.Option(
        None, "--manifest", help="Pull exactly what this lockfile pins (commit and files); any endpoint whose bytes match will do."
    ),
    source: Optional[str] = typer.Option(None, "--source", help="hf (default) or modelscope."),
    repo_type: Optional[str] = typer.Option(
        None, "--repo-type", help="model (default) or dataset; also written datasets/owner/name (hf:datasets/..., ms:datasets/...)."
    ),
    endpoint: List[str] = typer.Option(
        [], "--endpoint", help="Hub base URL; repeat for a fallback list tried in order. Default: HF_ENDPOINT / MODELSCOPE_ENDPOINT, else the official host."
    ),
    revision: Optional[str] = typer.Option(None, "--revision", help="Branch, tag or commit (full or short). Default: main (HF), master (ModelScope)."),
    include: List[str] = typer.Option([], "--include", help="Glob of files to pull (repeatable; * crosses /)."),
    exclude: List[str] = typer.Option([], "--exclude", help="Glob of files to skip (repeatable)."),
    dest: Optional[Path] = typer.Option(None, "--dest", help="Target folder. Default: ./models/<name>."),
    workers: int = typer.Option(constants.WORKERS, "--workers", min=1, help="Files downloaded in parallel."),
    connections: int = typer.Option(constants.CONNECTIONS, "--connections", min=1, help="Parallel byte ranges per large file."),
    token: Optional[str] = typer.Option(None, "--token", help="Access token. Default: HF_TOKEN or the stored HF token; MODELSCOPE_API_TOKEN."),
    token_to: List[str] = typer.Option([], "--token-to", help="Also send the token to this mirror URL (repeatable). Default: only the hub's own origins and HF_ENDPOINT / MODELSCOPE_ENDPOINT; never a lockfile's endpoints."),
    manifest_out: Optional[Path] = typer.Option(None, "--manifest-out", help="Also write the manifest (lockfile) here."),
    lock_timeout: float = typer.Option(constants.LOCK_WAIT, "--lock-timeout", help="Seconds to wait for files another process is downloading."),
    fsync: bool = typer.Option(False, "--fsync", help="fsync each file before it gets its final name (power-loss safety, slower)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON report on stdout."),
) -> None:
    """Download a snapshot, verifying every byte, and write its manifest."""

    def call() -> None:
        from hubctl.download.pull import PullRequest, default_endpoints
        from hubctl.download.pull import pull as do_pull
        from hubctl.integrity.manifest import read_manifest

        pinned = read_manifest(manifest) if manifest else None
        if pinned is None and repo is None:
            raise UsageError("give a REPO, or --manifest FILE to pull what a lockfile pins")
        if pinned is not None and repo is None and (pinned.source not in _SOURCES or not pinned.repo):
            raise UsageError("this lockfile was made from a local folder: give REPO (with hf: or ms:) to pull it from a hub")
        if pinned is not None and (include or exclude):
            raise UsageError("--include/--exclude do not apply to --manifest: the lockfile lists the files")
        from hubctl.download.sources.endpoints import normalize_endpoint

        typed, kind = parse_repo_type(repo or pinned.repo, repo_type)
        kind = kind or (pinned.repo_type if pinned is not None else "model")
        name, repo_id = parse_repo(typed, source) if repo else parse_repo(typed, source or pinned.source)
        endpoints = tuple(normalize_endpoint(name, e) for e in endpoint)
        if not endpoints and pinned is not None and name == pinned.source:
            endpoints = tuple(pinned.endpoints)
        endpoints = endpoints or default_endpoints(name)
        request = PullRequest(
            repo=repo_id,
            source=name,
            dest=dest or Path("models") / repo_id.split("/")[1],
            endpoints=endpoints,
            revision=revision,
            include=tuple(include),
            exclude=tuple(exclude),
            token=token,
            workers=workers,
            connections=connections,
            lock_wait=lock_timeout,
            manifest_out=manifest_out,
            fsync=fsync,
            token_to=tuple(token_to),
            repo_type=kind,
        )
        report = do_pull(request, _progress(quiet or as_json), pinned)
        if as_json:
            print(json.dumps(report.to_dict(), indent=2))
        error = report.error()
        if error is not None:
            _exit_after_report(error)
        if not quiet and not as_json:
            _print_pull_summary(report)

    _run(call, as_json)


def _print_pull_summary(report) -> None:
    from hubctl.progress import human_size

    size = sum(f.size for f in report.files)
    print(
        f"pulled {report.source}:{report.repo}@{report.commit[:12]} ({len(report.files)} files, {human_size(size)};"
        f" fetched {human_size(report.bytes_fetched)} in {report.seconds:.1f} s) into {report.dest}"
    )
    print(f"manifest: {report.manifest}")


@app.command()
def verify(
    folder: Path = typer.Argument(..., help="The model folder."),
    manifest: Optional[Path] = typer.Option(None, "--manifest", help="Trusted lockfile (default: FOLDER/.hubctl/manifest.json)."),
    strict: bool = typer.Option(False, "--strict", help="Files not in the manifest are an error."),
    quick: bool = typer.Option(False, "--quick", help="Trust files unchanged (size, mtime, ctime, inode) since hubctl last hashed them. The stamps live in FOLDER/.hubctl: anyone who can write FOLDER can forge them, even with a trusted --manifest; a plain verify re-hashes every byte."),
    repair: bool = typer.Option(False, "--repair", help="Re-fetch only bad or missing files (from the manifest's source, or --endpoint)."),
    source: Optional[str] = typer.Option(None, "--source", help="With --repair: hf or modelscope instead of the manifest's."),
    repo: Optional[str] = typer.Option(None, "--repo", help="With --repair: repo id on that hub, if it differs."),
    endpoint: List[str] = typer.Option([], "--endpoint", help="With --repair: endpoints to fetch from (repeatable)."),
    token: Optional[str] = typer.Option(None, "--token", help="With --repair: access token."),
    token_to: List[str] = typer.Option([], "--token-to", help="With --repair: also send the token to this mirror URL (repeatable)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Files hashed in parallel (default: CPU count)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON report on stdout."),
) -> None:
    """Prove offline that FOLDER is exactly what its manifest says (sha256 of every file)."""
    args = VerifyArgs(folder, manifest, strict, quick, repair, source, repo, tuple(endpoint), token, workers, quiet,
                      as_json, tuple(token_to))
    _run(lambda: verify_command(args), as_json)


@app.command()
def serve(
    folders: List[Path] = typer.Argument(None, help="Model folders to serve, each as one repo (none with --upstream)."),
    repo: List[str] = typer.Option([], "--repo", help="Repo id for each folder, in order (default: local/<folder name>)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8080, "--port", help="API port; LFS files are served from port+1 (0: any free ports)."),
    test_control: bool = typer.Option(False, "--test-control", hidden=True, help="Enable fault-injection routes (tests only)."),
    upstream: List[str] = typer.Option([], "--upstream", help="Mirror a hub: hf=URL or ms=URL (repeatable; tried in order)."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="The mirror's cache folder (with --upstream or --offline)."),
    refs_ttl: float = typer.Option(300.0, "--refs-ttl", min=0, help="Seconds a branch/tag resolution is reused."),
    offline: bool = typer.Option(False, "--offline", help="Serve only what --cache holds; refs resolve to the last known commit."),
    max_size: Optional[int] = typer.Option(None, "--max-size", min=1, help="Mirror cache limit in bytes (LRU eviction of whole files)."),
    prefetch: List[str] = typer.Option([], "--prefetch", help="Warm the mirror: [hf:|ms:]REPO[@REV] (repeatable)."),
) -> None:
    """Serve local folders over the Hugging Face and ModelScope protocols (a local or air-gapped hub), or mirror hubs."""
    if upstream or offline:
        from hubctl.mirror.cli import serve_mirror  # the mirror's command body (issue 20)

        _run(lambda: serve_mirror(folders, upstream, cache, host, port, refs_ttl, offline, test_control, max_size, prefetch))
        return

    def call() -> None:
        import signal
        import threading

        from hubctl.server import serve_folders

        if not folders:
            raise UsageError("give folders to serve, or --upstream hf=URL / ms=URL to mirror a hub")
        if repo and len(repo) != len(folders):
            raise UsageError(f"{len(repo)} --repo ids for {len(folders)} folders: give one per folder or none")
        pairs = []
        for i, folder in enumerate(folders):
            if not folder.is_dir():
                raise UsageError(f"not a folder: {folder}")
            pairs.append((repo[i] if repo else f"local/{folder.resolve().name}", folder))
        server = serve_folders(pairs, host, port, control=test_control)
        for repo_id, folder in pairs:
            print(f"serving {repo_id} from {folder}")
        print(f"HF_ENDPOINT={server.endpoint}  MODELSCOPE_ENDPOINT={server.endpoint}  (LFS: {server.cdn_endpoint})", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        finally:
            server.stop()

    _run(call)


@app.command("manifest")
def manifest_cmd(
    folder: Path = typer.Argument(..., help="The local model folder (a fine-tune, a quantized output, ...)."),
    out: Optional[Path] = typer.Option(
        None, "--out", help="Where to write. Default: FOLDER/.hubctl/manifest.json (hubctl), stdout (in-toto)."
    ),
    fmt: str = typer.Option("hubctl", "--format", help="hubctl (lockfile, source local) or in-toto (unsigned model_signing statement)."),
    name: Optional[str] = typer.Option(None, "--name", help="Model name: the lockfile's repo (default: none), the in-toto subject (default: the folder's name)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Files hashed in parallel (default: CPU count)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary line."),
) -> None:
    """Write a manifest (lockfile) for a local folder: sha256 of every file, so `hubctl verify` can prove it later."""

    def call() -> None:
        import os

        from hubctl.errors import LocalIOError
        from hubctl.integrity.localmanifest import manifest_for_folder, to_in_toto
        from hubctl.integrity.manifest import default_path, write_manifest
        from hubctl.progress import human_size

        if fmt not in ("hubctl", "in-toto"):
            raise UsageError(f"unknown --format {fmt!r}: use hubctl or in-toto")
        bar = _hash_bar(quiet)
        try:
            manifest = manifest_for_folder(folder, name, workers=workers, progress=bar.advance, on_total=bar.start)
        finally:
            bar.close()
        target = out if out is not None or fmt == "in-toto" else default_path(folder)
        try:
            if fmt == "hubctl":
                write_manifest(manifest, target)
            else:
                text = json.dumps(to_in_toto(manifest, name or folder.resolve().name), indent=2) + "\n"
                if target is None:
                    sys.stdout.write(text)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                    tmp.write_text(text, encoding="utf-8")
                    os.replace(tmp, target)
        except OSError as err:
            raise LocalIOError(f"cannot write {target}: {err.strerror or err}") from err
        if not quiet:
            print(f"{fmt} manifest of {len(manifest.files)} files ({human_size(manifest.total_size)}), files_digest "
                  f"{manifest.digest}: {target or 'stdout'}", file=sys.stderr if target is None else sys.stdout)

    _run(call)


@app.command()
def chat(
    folder: Path = typer.Argument(..., help="The model folder."),
    smoke: bool = typer.Option(False, "--smoke", help="Non-interactive CI gate: answer fixed prompts greedily and check the replies."),
    prompt: List[str] = typer.Option([], "--prompt", help="With --smoke: a prompt (repeatable; replaces the built-in set)."),
    expect: List[str] = typer.Option([], "--expect", help="With --smoke: some reply must contain this text (repeatable)."),
    system: Optional[str] = typer.Option(None, "--system", help="System prompt (default: a short helpful-assistant prompt; '' for none)."),
    dtype: str = typer.Option("bf16", "--dtype", help="bf16, fp16 or fp32."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu or cuda."),
    max_new_tokens: Optional[int] = typer.Option(None, "--max-new-tokens", min=1, help="Reply length limit (default 256; 64 with --smoke)."),
    greedy: bool = typer.Option(False, "--greedy", help="Greedy decoding (always on with --smoke)."),
    temperature: float = typer.Option(0.7, "--temperature", min=0.0, help="Sampling temperature."),
    top_p: float = typer.Option(0.9, "--top-p", min=0.0, max=1.0, help="Nucleus sampling."),
    top_k: int = typer.Option(50, "--top-k", min=0, help="Top-k sampling."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed for sampling."),
    context: Optional[int] = typer.Option(None, "--context", min=16, help="Override the context window (tokens)."),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code", help="Allow the folder's own Python code (InternLM, Yuan2...)."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Load without checking the folder against its manifest."),
    as_json: bool = typer.Option(False, "--json", help="With --smoke: print a JSON report on stdout."),
) -> None:
    """Chat with a model (streaming, multi-turn), or --smoke: prove it generates sensible text."""

    def call() -> None:
        from hubctl.model.loading import LoadOptions, eager_torch, load

        eager_torch()
        from hubctl.model.conversation import DEFAULT_SYSTEM, Conversation
        from hubctl.model.generation import Sampling

        if no_verify:
            print(f"hubctl: WARNING: --no-verify: loading {folder} WITHOUT checking it against its manifest",
                  file=sys.stderr)
        loaded = load(folder, LoadOptions(dtype=dtype, device=device, trust_remote_code=trust_remote_code,
                                          verify=not no_verify, context=context))
        system_prompt = DEFAULT_SYSTEM if system is None else (system or None)
        if smoke:
            _smoke(loaded, tuple(prompt), tuple(expect), max_new_tokens or 64, system_prompt, as_json)
            return
        from hubctl.chat.repl import repl

        try:
            importlib.import_module("readline")  # line editing and history for input()
        except ImportError:
            pass
        sampling = Sampling(max_new_tokens=max_new_tokens or 256, greedy=greedy, temperature=temperature,
                            top_p=top_p, top_k=top_k, seed=seed)
        repl(loaded, Conversation(system=system_prompt), sampling)

    _run(call, as_json)


def _smoke(loaded, prompts: tuple[str, ...], expect: tuple[str, ...], max_new_tokens: int,
           system: str | None, as_json: bool) -> None:
    from hubctl.model.smoke import DEFAULT_PROMPTS, SmokeFailure, run_smoke
    from hubctl.progress import human_size

    report = run_smoke(loaded, prompts or DEFAULT_PROMPTS, expect, max_new_tokens, system)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for r in report.results:
            verdict = "PASS" if r.failure is None else f"FAIL ({r.failure})"
            print(f"{verdict}  {r.prompt!r} -> {r.reply.strip()!r}")
            print(f"      {r.tokens} tokens, first token {r.ttft_s:.3f} s, {r.tokens_per_s:.1f} tokens/s")
        for text in report.missing:
            print(f"FAIL  no reply contains {text!r}")
        passed = sum(r.failure is None for r in report.results)
        print(f"smoke: {passed}/{len(report.results)} prompts passed on {report.device} ({report.dtype}); "
              f"load {report.load_seconds:.1f} s, peak memory {human_size(report.peak_memory_bytes)}")
    if not report.ok:
        _exit_after_report(SmokeFailure(f"smoke test failed for {loaded.folder}: {report.reason()}"))


@app.command()
def quantize(
    src: Path = typer.Argument(..., help="Source model folder (safetensors)."),
    out: Path = typer.Option(..., "--out", help="Output folder for the int4 GPTQ checkpoint (must not exist)."),
    bits: int = typer.Option(4, "--bits", help="Bits per weight (4)."),
    group_size: Optional[int] = typer.Option(None, "--group-size", help="Columns sharing one scale (default: the largest of 128, 64, 32 leaving no partial group)."),
    allow_partial_groups: bool = typer.Option(False, "--allow-partial-groups", help="Allow a group size that leaves partial groups (only the plain torch kernel loads them)."),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code", help="Allow the source folder's own Python code (InternLM, Yuan2...)."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Load the source without checking it against its manifest."),
    desc_act: bool = typer.Option(False, "--desc-act", help="Act-order: quantize columns by descending activation (writes a permuted g_idx)."),
    act_group_aware: bool = typer.Option(True, "--act-group-aware/--natural-order", help="Group-aware act-order (GAR): the act-order gain in natural checkpoint order."),
    damp: float = typer.Option(0.01, "--damp", min=0.0, help="Dampening, as a fraction of the Hessian's mean diagonal."),
    clip_search: bool = typer.Option(True, "--clip-search/--no-clip-search", help="Per group, search the scale that clips outliers best (GPTQ's mse option)."),
    refit_scales: bool = typer.Option(True, "--scale-refit/--no-scale-refit", help="After GPTQ, re-solve each row's group scales for the layer loss (integers kept)."),
    source_target: bool = typer.Option(True, "--source-target/--no-source-target", help="Fit each layer to the source model's outputs, not to its own on already-quantized inputs (GPTAQ)."),
    samples: int = typer.Option(128, "--samples", min=1, help="Calibration windows."),
    seq_len: int = typer.Option(256, "--seq-len", min=16, help="Tokens per calibration window."),
    calibration: Optional[Path] = typer.Option(None, "--calibration", help="Your calibration text (.txt paragraphs, or .jsonl with text/messages)."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu or cuda."),
    seed: int = typer.Option(0, "--seed", help="Seed for choosing calibration windows."),
    max_memory: Optional[float] = typer.Option(None, "--max-memory", help="GB of RAM (VRAM on CUDA) to plan for (default: what is free)."),
    no_check: bool = typer.Option(False, "--no-check", help="Do not load the output back through transformers + gptqmodel."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Quantize a causal LM to int4 GPTQ, report perplexity (source, RTN, GPTQ), and prove the output generates."""

    def call() -> None:
        from hubctl.model.loading import eager_torch

        eager_torch()
        from hubctl.quantize.pipeline import QuantizeOptions
        from hubctl.quantize.pipeline import quantize as do_quantize

        options = QuantizeOptions(bits=bits, group_size=group_size, desc_act=desc_act,
                                  act_group_aware=act_group_aware, damp=damp, clip_search=clip_search,
                                  refit_scales=refit_scales, source_target=source_target, samples=samples, seq_len=seq_len, device=device,
                                  seed=seed, calibration=calibration,
                                  max_memory=int(max_memory * 1e9) if max_memory else None, check=not no_check,
                                  allow_partial_groups=allow_partial_groups, trust_remote_code=trust_remote_code,
                                  verify=not no_verify)
        bar = None
        if not (quiet or as_json):
            from tqdm import tqdm

            bar = tqdm(total=1, unit="layer", desc="quantize", file=sys.stderr, disable=None)

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.total = total
                bar.update(done - bar.n)

        try:
            report = do_quantize(src, out, options, progress, None if quiet or as_json else lambda line: print(line, file=sys.stderr))
        finally:
            if bar is not None:
                bar.close()
        if as_json:
            print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        elif not quiet:
            worse = sum(1 for x in report.losses if x.gptq > x.rtn)
            print(f"quantized {report.quantized_modules} linear layers of {src} to int4 g{report.group.group_size} in {report.seconds:.1f} s "
                  f"(peak memory {report.peak_memory_bytes / 1e9:.2f} GB) -> {out}")
            print(f"perplexity on held-out text: source {report.ppl_source:.3f}, RTN int4 {report.ppl_rtn:.3f}, "
                  f"GPTQ int4 {report.ppl_gptq:.3f}")
            if report.loaded_ppl:
                print(f"loaded back through transformers + gptqmodel: perplexity {report.loaded_ppl:.3f} on the first "
                      f"{report.loaded_windows} windows (hubctl: {report.loaded_expected:.3f})")
            print(f"layer loss: GPTQ below RTN on {len(report.losses) - worse} of {len(report.losses)} linears; "
                  f"report: {out / 'quant_report.json'}")
            if report.final_norm:
                print(f"final norm refitted to the source's logits: logit error {report.final_norm.before:.4g} -> "
                      f"{report.final_norm.after:.4g} per calibration token")
            if report.smoke:
                print("smoke test of the output: " + "; ".join(f"{p['prompt']!r} -> {p['reply'].strip()[:60]!r}" for p in report.smoke["prompts"]))

    _run(call, as_json)


def main() -> None:
    app()
