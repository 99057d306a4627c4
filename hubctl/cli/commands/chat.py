"""`hubctl chat`: a streaming multi-turn chat with a model folder, or --smoke, the non-interactive CI gate.

torch and transformers are imported when the command runs, never when the CLI starts.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from hubctl.cli.options import DeviceOpt, FolderArg, JsonOpt
from hubctl.cli.output import Reported
from hubctl.errors import UsageError

if TYPE_CHECKING:
    from hubctl.model.loading import LoadedModel

app = typer.Typer()


@app.command()
def chat(
    folder: FolderArg,
    smoke: Annotated[
        bool,
        typer.Option("--smoke", help="Non-interactive CI gate: answer fixed prompts greedily and check the replies."),
    ] = False,
    prompt: Annotated[
        list[str] | None,
        typer.Option(help="With --smoke: a prompt (repeatable; replaces the built-in set).", show_default=False),
    ] = None,
    expect: Annotated[
        list[str] | None,
        typer.Option(help="With --smoke: some reply must contain this text (repeatable).", show_default=False),
    ] = None,
    system: Annotated[
        str | None,
        typer.Option(
            help="System prompt (default: a short helpful-assistant prompt; '' for none).", show_default=False
        ),
    ] = None,
    dtype: Annotated[str, typer.Option(help="bf16, fp16 or fp32.")] = "bf16",
    device: DeviceOpt = "auto",
    max_new_tokens: Annotated[
        int | None, typer.Option(min=1, help="Reply length limit (default 256; 64 with --smoke).", show_default=False)
    ] = None,
    greedy: Annotated[bool, typer.Option("--greedy", help="Greedy decoding (always on with --smoke).")] = False,
    temperature: Annotated[float, typer.Option(min=0.0, help="Sampling temperature.")] = 0.7,
    top_p: Annotated[float, typer.Option(min=0.0, max=1.0, help="Nucleus sampling.")] = 0.9,
    top_k: Annotated[int, typer.Option(min=0, help="Top-k sampling.")] = 50,
    seed: Annotated[int | None, typer.Option(help="Random seed for sampling.", show_default=False)] = None,
    context: Annotated[
        int | None, typer.Option(min=16, help="Override the context window (tokens).", show_default=False)
    ] = None,
    trust_remote_code: Annotated[
        bool, typer.Option("--trust-remote-code", help="Allow the folder's own Python code (InternLM, Yuan2...).")
    ] = False,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Load without checking the folder against its manifest.")
    ] = False,
    as_json: JsonOpt = False,
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Serve an OpenAI-compatible API (/v1/chat/completions) and a chat page at /."),
    ] = False,
    host: Annotated[
        str, typer.Option(help="With --serve: address to listen on (not loopback: needs --api-key).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="With --serve: TCP port (0: any free port).")] = 8000,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="HUBCTL_API_KEY",
            show_default=False,
            help="With --serve: require 'Authorization: Bearer KEY' on /v1/ (env HUBCTL_API_KEY).",
        ),
    ] = None,
    queue: Annotated[
        int,
        typer.Option(min=0, max=1000, help="With --serve: requests that may wait behind the running one (then 429)."),
    ] = 4,
) -> None:
    """Chat with a model (streaming, multi-turn), or --smoke: prove it generates sensible text, or --serve it."""
    if serve:
        from hubctl.chat.server import check_exposure

        if smoke:
            raise UsageError("--serve and --smoke are separate modes: pick one")
        check_exposure(host, api_key)  # before the model loads: a refused exposure costs nothing
    from hubctl.model.loading import LoadOptions, eager_torch, load

    eager_torch()
    from hubctl.model.conversation import DEFAULT_SYSTEM, Conversation
    from hubctl.model.generation import Sampling

    if no_verify:
        print(
            f"hubctl: WARNING: --no-verify: loading {folder} WITHOUT checking it against its manifest", file=sys.stderr
        )
    loaded = load(
        folder,
        LoadOptions(
            dtype=dtype, device=device, trust_remote_code=trust_remote_code, verify=not no_verify, context=context
        ),
    )
    system_prompt = DEFAULT_SYSTEM if system is None else (system or None)
    if smoke:
        _smoke(loaded, tuple(prompt or ()), tuple(expect or ()), max_new_tokens or 64, system_prompt, as_json)
        return
    if serve:
        from hubctl.chat.server import ServeOptions
        from hubctl.chat.server import serve as serve_model

        options = ServeOptions(
            host=host,
            port=port,
            api_key=api_key,
            queue=queue,
            max_tokens=max_new_tokens or 256,
            temperature=0.0 if greedy else temperature,
            top_p=top_p,
            top_k=top_k,
            system=system_prompt,
        )
        serve_model(loaded, options)
        return
    from hubctl.chat.repl import repl

    try:
        importlib.import_module("readline")  # line editing and history for input()
    except ImportError:
        pass
    sampling = Sampling(
        max_new_tokens=max_new_tokens or 256,
        greedy=greedy,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        seed=seed,
    )
    repl(loaded, Conversation(system=system_prompt), sampling)


def _smoke(
    loaded: LoadedModel,
    prompts: tuple[str, ...],
    expect: tuple[str, ...],
    max_new_tokens: int,
    system: str | None,
    as_json: bool,
) -> None:
    from hubctl.errors import SmokeError
    from hubctl.model.smoke import DEFAULT_PROMPTS, run_smoke
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
        print(
            f"smoke: {passed}/{len(report.results)} prompts passed on {report.device} ({report.dtype}); "
            f"load {report.load_seconds:.1f} s, peak memory {human_size(report.peak_memory_bytes)}"
        )
    if not report.ok:
        raise Reported(SmokeError(f"smoke test failed for {loaded.folder}: {report.reason()}"))
