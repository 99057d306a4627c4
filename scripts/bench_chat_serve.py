"""Benchmark: what serving costs. TTFT and decode tokens/s through `hubctl chat --serve`'s streaming API
against the same generation called in-process, on the same loaded model, greedy, same prompt.

Both paths are timed the same way, from the caller's side: TTFT is request start (history fit included)
to the first text received; tokens/s is (completion tokens - 1) over first-to-last text. Runs alternate
between the two paths so machine load drifts affect both; the median of --runs is reported.

    python scripts/bench_chat_serve.py [--model DIR] [--runs 5] [--max-tokens 64] [--json out.json]
                                        [--doc FILE | --no-doc]

The table, with date, commit and machine, replaces the `chat-serve` section of docs/benchmarks.md
(scripts/benchdoc.py). Target: the API within 5 % of the in-process path.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import benchdoc  # scripts/benchdoc.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PROMPT = "Write a short paragraph about the sea."


def in_process(loaded, max_tokens: int) -> dict:
    from hubctl.model.conversation import Conversation, fit
    from hubctl.model.generation import Sampling, generate

    times: list[float] = []
    started = time.perf_counter()
    ids, _ = fit(loaded.tokenizer, Conversation(), PROMPT, loaded.context, max_tokens)
    reply = generate(
        loaded,
        ids,
        Sampling(max_new_tokens=max_tokens, greedy=True),
        on_text=lambda _: times.append(time.perf_counter()),
    )
    return measure(started, times, reply.tokens)


def through_api(address: tuple, max_tokens: int) -> dict:
    body = json.dumps(
        {
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    ).encode()
    times: list[float] = []
    tokens = 0
    started = time.perf_counter()
    conn = http.client.HTTPConnection(*address, timeout=600)
    conn.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    for line in response:  # one SSE event per "data: ..." line
        if not line.startswith(b"data: {"):
            continue
        chunk = json.loads(line[6:])
        if chunk.get("usage"):
            tokens = chunk["usage"]["completion_tokens"]
        if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
            times.append(time.perf_counter())
    conn.close()
    return measure(started, times, tokens)


def measure(started: float, times: list[float], tokens: int) -> dict:
    decode = times[-1] - times[0] if len(times) > 1 else 0.0
    return {
        "ttft_s": times[0] - started if times else float("nan"),
        "tokens": tokens,
        "tokens_per_s": (tokens - 1) / decode if decode > 0 and tokens > 1 else 0.0,
    }


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the SmolLM2 fixture)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--dtype", default="fp32")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    benchdoc.add_arguments(parser)
    args = parser.parse_args()

    from hubctl.model.loading import LoadOptions, eager_torch, load

    eager_torch()
    if args.model is None:
        sys.path.insert(0, str(ROOT / "scripts"))
        from build_smollm2 import build

        args.model = build()
    loaded = load(args.model, LoadOptions(dtype=args.dtype, device=args.device))
    from hubctl.chat.server import ChatServer, ServeOptions

    server = ChatServer(loaded, ServeOptions(port=0, access_log=False), log=lambda _: None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        in_process(loaded, 8)  # warm-up: first-call allocations are not what is measured
        through_api(server.server_address[:2], 8)
        local, served = [], []
        for run in range(args.runs):  # alternate which path goes first, so neither always follows the other
            if run % 2:
                served.append(through_api(server.server_address[:2], args.max_tokens))
            local.append(in_process(loaded, args.max_tokens))
            if not run % 2:
                served.append(through_api(server.server_address[:2], args.max_tokens))
    finally:
        server.shutdown()
        server.server_close()
    result = {
        "model": str(args.model),
        "device": loaded.device,
        "dtype": loaded.dtype,
        "runs": args.runs,
        "max_tokens": args.max_tokens,
        "in_process": local,
        "api": served,
    }
    for key, best in (("ttft_s", min), ("tokens_per_s", max)):
        a, b = median(local, key), median(served, key)
        result[f"median_{key}"] = {"in_process": a, "api": b, "api_over_in_process": b / a if a else None}
        a, b = best(r[key] for r in local), best(r[key] for r in served)
        result[f"best_{key}"] = {"in_process": a, "api": b, "api_over_in_process": b / a if a else None}
    print(
        f"{loaded.folder.name} on {loaded.device} ({loaded.dtype}), {args.runs} runs, "
        f"{local[0]['tokens']} tokens in-process / {served[0]['tokens']} through the API"
    )
    for stat in ("median", "best"):
        for key, unit in (("ttft_s", "s"), ("tokens_per_s", "tokens/s")):
            m = result[f"{stat}_{key}"]
            print(
                f"  {stat:6} {key:13} in-process {m['in_process']:.4f} {unit}   API {m['api']:.4f} {unit}   "
                f"API/in-process {m['api_over_in_process']:.3f}"
            )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    benchdoc.publish(
        args, "chat-serve", doc_table(result), [f"{args.runs} runs, alternating, {args.max_tokens} tokens, greedy"]
    )
    return 0


def doc_table(result: dict) -> str:
    """Median and best of TTFT and tokens/s, each path and the ratio, against the 5 % target."""
    rows = []
    for stat in ("median", "best"):
        for key, unit in (("ttft_s", "s"), ("tokens_per_s", "tokens/s")):
            m = result[f"{stat}_{key}"]
            ratio = m["api_over_in_process"]
            ok = ratio is not None and (ratio <= 1.05 if key == "ttft_s" else ratio >= 0.95)
            rows.append(
                [
                    f"{stat} {key} ({result['device']}, {result['dtype']})",
                    f"{m['in_process']:.4f} {unit}",
                    f"{m['api']:.4f} {unit}",
                    f"{ratio:.3f} ({'within' if ok else 'outside'} 5 %)" if ratio else "n/a",
                ]
            )
    return benchdoc.table(["measure", "in-process", "through the API", "API / in-process"], rows)


if __name__ == "__main__":
    sys.exit(main())
