"""Multi-turn history that always fits: the prompt plus the reply budget never exceed the context window.

The chat demos that die of `max_length` grow history without bound and pass `max_length`; here the
oldest turns are dropped (and the caller tells the user) until prompt + max_new_tokens fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hubctl.errors import UsageError

DEFAULT_SYSTEM = "You are a helpful assistant. Answer clearly and concisely."


class PromptTooLong(UsageError):
    """Even with no history, the message and the reply budget do not fit the context window."""


@dataclass
class Conversation:
    system: str | None = DEFAULT_SYSTEM
    turns: list[tuple[str, str]] = field(default_factory=list)  # (user, assistant), oldest first

    def messages(self, user: str, keep: int | None = None) -> list[dict[str, str]]:
        turns = self.turns if keep is None else self.turns[len(self.turns) - keep :]
        out = [{"role": "system", "content": self.system}] if self.system else []
        for question, answer in turns:
            out += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        return out + [{"role": "user", "content": user}]


def render(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    """Token ids of the prompt: the tokenizer's chat template, else hubctl's documented plain format:

    System: <system>\\n\\nUser: <user>\\n\\nAssistant: <assistant>\\n\\nUser: <user>\\n\\nAssistant:
    """
    if getattr(tokenizer, "chat_template", None):
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        return list(ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids)
    text = "".join(f"{m['role'].capitalize()}: {m['content']}\n\n" for m in messages) + "Assistant:"
    return list(tokenizer(text)["input_ids"])


def fit(
    tokenizer: Any, conversation: Conversation, user: str, context: int, max_new_tokens: int
) -> tuple[list[int], int]:
    """Prompt ids for `user` with as much recent history as fits; returns (ids, turns dropped)."""
    budget = context - max_new_tokens
    if budget <= 0:
        raise PromptTooLong(f"--max-new-tokens {max_new_tokens} leaves no room in the {context}-token context")
    keep = len(conversation.turns)
    while True:
        ids = render(tokenizer, conversation.messages(user, keep))
        if len(ids) <= budget:
            return ids, len(conversation.turns) - keep
        if keep == 0:
            raise PromptTooLong(
                f"your message needs {len(ids)} tokens with the system prompt; the {context}-token context "
                f"leaves {budget} after reserving {max_new_tokens} for the reply"
            )
        keep -= 1  # drop the oldest remaining turn
