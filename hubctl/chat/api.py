"""The OpenAI chat-completions request, validated into a typed record before anything touches the model.

Everything in a request body is hostile: each check below raises ApiError, which the server turns into
one 4xx with an OpenAI-style error object naming the offending field, so a bad request costs no
generation and the server keeps serving. Fields hubctl does not implement are refused, not ignored,
so a client never believes a setting (n=3, logprobs, tools) took effect when it did not.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from hubctl.model.conversation import Conversation

KNOWN_FIELDS = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "seed",
        "stop",
        "stream",
        "stream_options",
        "n",
        "user",
    }
)
MAX_STOP = 4  # OpenAI's own limit
MAX_STOP_CHARS = 200
ROLES = ("system", "user", "assistant")


class ApiError(Exception):
    """A refused request: HTTP status plus the fields of OpenAI's error object."""

    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        code: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = status, message, param, code, kind

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}


@dataclass(frozen=True)
class ChatRequest:
    system: str | None  # None: the server's default system prompt; "" : none
    turns: tuple[tuple[str, str], ...]  # (user, assistant), oldest first
    user: str  # the message to answer
    max_tokens: int
    temperature: float
    top_p: float
    seed: int | None
    stop: tuple[str, ...]
    stream: bool
    include_usage: bool

    def conversation(self, default_system: str | None) -> Conversation:
        system = default_system if self.system is None else (self.system or None)
        return Conversation(system=system, turns=list(self.turns))

    @property
    def message_count(self) -> int:
        return 2 * len(self.turns) + 1


def decode_body(raw: bytes) -> dict:
    """The JSON object in a request body, or ApiError (non-UTF-8, malformed, not an object)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ApiError(
            400, f"the request body is not valid UTF-8 (byte {err.start})", code="invalid_encoding"
        ) from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as err:
        raise ApiError(400, f"the request body is not valid JSON: {err}", code="invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object", code="invalid_json")
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_chat(data: dict, model_id: str, context: int, default_max_tokens: int, defaults: dict) -> ChatRequest:
    """Validate a chat-completions body against the served model and its context window."""
    unknown = sorted(set(data) - KNOWN_FIELDS)
    if unknown:
        raise ApiError(
            400,
            f"unsupported field {unknown[0]!r} (hubctl accepts: {', '.join(sorted(KNOWN_FIELDS))})",
            param=unknown[0],
            code="unsupported_parameter",
        )
    model = data.get("model")
    if model is not None and not isinstance(model, str):
        raise ApiError(400, "model must be a string", param="model", code="invalid_type")
    if model not in (None, model_id):
        raise ApiError(
            404,
            f"model {model[:100]!r} is not served here; this server serves {model_id!r}",
            param="model",
            code="model_not_found",
        )
    if data.get("n", 1) != 1 or isinstance(data.get("n"), bool):
        raise ApiError(400, "only n=1 is supported", param="n", code="unsupported_value")
    if "user" in data and not isinstance(data["user"], str):
        raise ApiError(400, "user must be a string", param="user", code="invalid_type")
    system, turns, user = _messages(data.get("messages"))
    max_tokens = _max_tokens(data, context, default_max_tokens)
    temperature = _number(data, "temperature", defaults["temperature"], 0.0, 2.0)
    top_p = _number(data, "top_p", defaults["top_p"], 0.0, 1.0)
    if top_p == 0.0:
        raise ApiError(400, "top_p must be greater than 0", param="top_p", code="invalid_value")
    seed = data.get("seed")
    if seed is not None and (not _is_int(seed) or not 0 <= seed < 2**63):
        raise ApiError(400, "seed must be an integer in [0, 2**63)", param="seed", code="invalid_value")
    stream = data.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(400, "stream must be true or false", param="stream", code="invalid_type")
    return ChatRequest(
        system=system,
        turns=turns,
        user=user,
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        seed=seed,
        stop=_stop(data.get("stop")),
        stream=stream,
        include_usage=_include_usage(data.get("stream_options"), stream),
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(data: dict, name: str, default: float, low: float, high: float) -> float:
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ApiError(400, f"{name} must be a number", param=name, code="invalid_type")
    if not low <= value <= high:
        raise ApiError(
            400, f"{name} must be between {low:g} and {high:g}, got {value:g}", param=name, code="invalid_value"
        )
    return float(value)


def _max_tokens(data: dict, context: int, default: int) -> int:
    name = "max_completion_tokens" if data.get("max_completion_tokens") is not None else "max_tokens"
    value = data.get(name)
    if value is None:
        return min(default, context - 1)
    if not _is_int(value):
        raise ApiError(400, f"{name} must be an integer", param=name, code="invalid_type")
    if not 1 <= value < context:
        raise ApiError(
            400,
            f"{name} must be between 1 and {context - 1} (the model's context is {context} tokens), got {value}",
            param=name,
            code="invalid_value",
        )
    return value


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
        raise ApiError(400, "stop must be a string or a list of strings", param="stop", code="invalid_type")
    if len(stops) > MAX_STOP or any(not s or len(s) > MAX_STOP_CHARS for s in stops):
        raise ApiError(
            400,
            f"stop: at most {MAX_STOP} non-empty strings of at most {MAX_STOP_CHARS} characters",
            param="stop",
            code="invalid_value",
        )
    return tuple(stops)


def _include_usage(value: Any, stream: bool) -> bool:
    if value is None:
        return False
    if not stream:
        raise ApiError(400, "stream_options needs stream: true", param="stream_options", code="invalid_value")
    if (
        not isinstance(value, dict)
        or set(value) - {"include_usage"}
        or not isinstance(value.get("include_usage", False), bool)
    ):
        raise ApiError(
            400,
            'stream_options accepts only {"include_usage": true|false}',
            param="stream_options",
            code="invalid_value",
        )
    return bool(value.get("include_usage", False))


def _content(message: Any, index: int) -> tuple[str, str]:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        raise ApiError(400, f"{where} must be an object", param=where, code="invalid_type")
    extra = sorted(set(message) - {"role", "content", "name"})
    if extra:
        raise ApiError(
            400, f"{where}: unsupported field {extra[0]!r}", param=f"{where}.{extra[0]}", code="unsupported_parameter"
        )
    role, content = message.get("role"), message.get("content")
    if role not in ROLES:
        raise ApiError(
            400, f"{where}.role must be one of {', '.join(ROLES)}", param=f"{where}.role", code="invalid_value"
        )
    if isinstance(content, list):  # the content-parts form: only text parts
        if not all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content):
            raise ApiError(
                400, f"{where}.content: only text parts are supported", param=f"{where}.content", code="invalid_value"
            )
        content = "".join(p["text"] for p in content)
    if not isinstance(content, str):
        raise ApiError(400, f"{where}.content must be a string", param=f"{where}.content", code="invalid_type")
    return role, content


def _messages(value: Any) -> tuple[str | None, tuple[tuple[str, str], ...], str]:
    """(system, turns, user): an optional system message, then user/assistant alternating, ending with user."""
    if not isinstance(value, list) or not value:
        raise ApiError(400, "messages must be a non-empty list", param="messages", code="invalid_value")
    parsed = [_content(m, i) for i, m in enumerate(value)]
    system = None
    if parsed[0][0] == "system":
        system = parsed.pop(0)[1]
    offset = len(value) - len(parsed)
    for i, (role, _) in enumerate(parsed):
        expected = "user" if i % 2 == 0 else "assistant"
        if role != expected:
            raise ApiError(
                400,
                f"messages[{i + offset}].role: expected {expected!r} (an optional system message "
                "first, then user and assistant alternating)",
                param=f"messages[{i + offset}].role",
                code="invalid_value",
            )
    if len(parsed) % 2 == 0:
        raise ApiError(400, "the last message must be the user's", param="messages", code="invalid_value")
    texts = [content for _, content in parsed]
    turns = tuple(zip(texts[0:-1:2], texts[1:-1:2], strict=True))
    return system, turns, texts[-1]
