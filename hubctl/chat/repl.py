"""The interactive loop of `hubctl chat`: stream replies, keep history within the context window.

Ctrl-C while a reply streams stops that reply (the next step's stopping check sees it); Ctrl-C at the
prompt just gives a new prompt; Ctrl-D, /exit or exit leave. What the user typed is sent as typed.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from hubctl.model.conversation import Conversation, PromptTooLong, fit
from hubctl.model.generation import Sampling, generate
from hubctl.model.loading import LoadedModel

HELP = """commands:
  /reset   forget the conversation (the system prompt stays)
  /help    this text
  /exit    leave (also: exit, Ctrl-D)
Ctrl-C stops the reply being written; long conversations drop their oldest turns to fit the context."""


def repl(
    loaded: LoadedModel,
    conversation: Conversation,
    sampling: Sampling,
    read: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
) -> None:
    def say(text: str) -> None:
        out.write(text)
        out.flush()

    say(
        f"hubctl chat: {loaded.folder} on {loaded.device} ({loaded.dtype}), context {loaded.context} tokens. "
        "/help for commands, Ctrl-D to leave.\n"
    )
    while True:
        try:
            line = read(">>> ")
        except EOFError:
            say("\n")
            return
        except KeyboardInterrupt:
            say("\n")
            continue
        command = line.strip()
        if command in ("/exit", "exit", "/quit"):
            return
        if command == "/reset":
            conversation.turns.clear()
            say("(conversation cleared)\n")
            continue
        if command == "/help":
            say(HELP + "\n")
            continue
        if not command:
            continue
        stop = threading.Event()  # from here to the end of the reply, Ctrl-C stops the reply
        previous = signal.signal(signal.SIGINT, lambda *_, stop=stop: stop.set())
        try:
            try:
                ids, dropped = fit(loaded.tokenizer, conversation, line, loaded.context, sampling.max_new_tokens)
            except PromptTooLong as err:
                say(f"(not sent: {err.message})\n")
                continue
            if dropped:
                say(f"(dropped the {dropped} oldest turn(s) to fit the {loaded.context}-token context)\n")
            reply = generate(loaded, ids, sampling, on_text=say, stop=stop)
        finally:
            signal.signal(signal.SIGINT, previous)
        if reply.interrupted:
            say(" (stopped)")
        if not reply.text.strip():
            say("(the model returned an empty reply)" if reply.finite else "(the model produced NaN/inf logits)")
        say("\n")
        conversation.turns.append((line, reply.text))
