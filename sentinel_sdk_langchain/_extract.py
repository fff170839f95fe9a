"""Read model name, token usage, finish reason and request parameters out of a LangChain run.

Providers report these in different places; each reader tries them in a fixed
order and never raises on an unexpected shape (it skips it).

Tokens: ``AIMessage.usage_metadata`` first (LangChain's normalised form), then
``llm_output["token_usage"]`` / ``llm_output["usage"]``, then each generation's
``generation_info``. ``prompt`` always counts every input token, cached ones
included (Anthropic's raw ``input_tokens``, which excludes cache reads and writes,
is added up accordingly).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sentinel_sdk.integrations import metadata_keys as keys

__all__ = [
    "MODEL_KEYS",
    "Usage",
    "finish_reason",
    "request_params",
    "requested_model",
    "response_model",
    "usage",
]

MODEL_KEYS = (
    "model",
    "model_name",
    "model_id",
    "deployment_name",
    "azure_deployment",
    "deployment",
    "engine",
)
_U32 = 2**32 - 1
_PARAMS = {  # request parameter names as providers spell them -> the metadata key
    "temperature": keys.GEN_AI_REQUEST_TEMPERATURE,
    "max_tokens": keys.GEN_AI_REQUEST_MAX_TOKENS,
    "max_completion_tokens": keys.GEN_AI_REQUEST_MAX_TOKENS,
    "max_output_tokens": keys.GEN_AI_REQUEST_MAX_TOKENS,
    "max_new_tokens": keys.GEN_AI_REQUEST_MAX_TOKENS,
    "num_predict": keys.GEN_AI_REQUEST_MAX_TOKENS,
    "maxTokens": keys.GEN_AI_REQUEST_MAX_TOKENS,
    "top_p": keys.GEN_AI_REQUEST_TOP_P,
    "top_k": keys.GEN_AI_REQUEST_TOP_K,
    "frequency_penalty": keys.GEN_AI_REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": keys.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "seed": keys.GEN_AI_REQUEST_SEED,
    "n": keys.GEN_AI_REQUEST_CHOICE_COUNT,
    "reasoning_effort": keys.GEN_AI_REQUEST_REASONING_LEVEL,
    "stop": keys.GEN_AI_REQUEST_STOP_SEQUENCES,
    "stop_sequences": keys.GEN_AI_REQUEST_STOP_SEQUENCES,
}
# LangChain's own standard parameters, used when the provider's are not given.
_LANGCHAIN_PARAMS = (
    ("ls_temperature", keys.GEN_AI_REQUEST_TEMPERATURE),
    ("ls_max_tokens", keys.GEN_AI_REQUEST_MAX_TOKENS),
    ("ls_stop", keys.GEN_AI_REQUEST_STOP_SEQUENCES),
)
_FINISH_KEYS = ("finish_reason", "stop_reason", "done_reason")


@dataclass(slots=True)
class Usage:
    """Token counts of one run (``prompt`` includes ``cache_read`` and ``cache_creation``)."""

    prompt: int = 0
    completion: int = 0
    cache_read: int = 0
    cache_creation: int = 0
    reasoning: int = 0


def requested_model(
    metadata: Mapping[str, Any] | None,
    params: Mapping[str, Any] | None,
    serialized: Mapping[str, Any] | None,
) -> str:
    """The model asked for: ``ls_model_name``, invocation params, serialized kwargs, type."""
    if metadata:
        name = metadata.get("ls_model_name")
        if isinstance(name, str) and name:
            return name
    kwargs = (
        serialized.get("kwargs")
        if (type(serialized) is dict or isinstance(serialized, Mapping))
        else None
    )
    for source in (params, kwargs):
        if type(source) is dict or isinstance(source, Mapping):
            for key in MODEL_KEYS:
                value = source.get(key)
                if isinstance(value, str) and value:
                    return value
    if params:
        kind = params.get("_type")
        if isinstance(kind, str) and kind:
            return kind
    if type(serialized) is dict or isinstance(serialized, Mapping):
        name = serialized.get("name")
        if isinstance(name, str) and name:
            return name
        ids = serialized.get("id")
        if isinstance(ids, list) and ids and isinstance(ids[-1], str):
            return ids[-1]
    return "unknown"


def response_model(generations: Sequence[Any], llm_output: Mapping[str, Any] | None) -> str | None:
    """The model the provider says answered, when it says so."""
    for generation in generations:
        message = getattr(generation, "message", None)
        for source in (getattr(message, "response_metadata", None), generation.generation_info):
            if type(source) is dict or isinstance(source, Mapping):
                for key in ("model_name", "model"):
                    value = source.get(key)
                    if isinstance(value, str) and value:
                        return value
    if type(llm_output) is dict or isinstance(llm_output, Mapping):
        for key in ("model_name", "model", "model_id"):
            value = llm_output.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def usage(generations: Sequence[Any], llm_output: Mapping[str, Any] | None) -> Usage | None:
    """Token usage of the run, or ``None`` when the provider reported none."""
    for generation in generations:
        metadata = getattr(getattr(generation, "message", None), "usage_metadata", None)
        if metadata:
            found = _from_usage_metadata(metadata)
            if found is not None:
                return found
    if type(llm_output) is dict or isinstance(llm_output, Mapping):
        for key in ("token_usage", "usage"):
            found = _from_mapping(llm_output.get(key))
            if found is not None:
                return found
    for generation in generations:
        info = generation.generation_info
        if type(info) is dict or isinstance(info, Mapping):
            for key in ("usage_metadata", "usage", "token_usage"):
                found = _from_mapping(info.get(key))
                if found is not None:
                    return found
            found = _from_mapping(info)
            if found is not None:
                return found
    return None


def _from_usage_metadata(metadata: Mapping[str, Any]) -> Usage | None:
    if "input_tokens" not in metadata and "output_tokens" not in metadata:
        return None
    inputs = metadata.get("input_token_details") or {}
    outputs = metadata.get("output_token_details") or {}
    return Usage(
        prompt=_int(metadata.get("input_tokens")),
        completion=_int(metadata.get("output_tokens")),
        cache_read=_int(inputs.get("cache_read")),
        cache_creation=_int(inputs.get("cache_creation")),
        reasoning=_int(outputs.get("reasoning")),
    )


def _from_mapping(raw: Any) -> Usage | None:
    if raw is not None and not (type(raw) is dict or isinstance(raw, Mapping)):
        raw = getattr(raw, "__dict__", None)  # a provider's pydantic usage object
    if not (type(raw) is dict or isinstance(raw, Mapping)) or not raw:
        return None
    if "input_token_details" in raw or "output_token_details" in raw:
        return _from_usage_metadata(raw)
    prompt = _first(raw, "prompt_tokens", "input_tokens", "prompt_token_count", "inputTokenCount")
    prompt = prompt if prompt is not None else _first(raw, "prompt_eval_count", "input_token_count")
    completion = _first(
        raw,
        "completion_tokens",
        "output_tokens",
        "candidates_token_count",
        "outputTokenCount",
        "eval_count",
        "generated_token_count",
    )
    if prompt is None and completion is None:
        return None
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    cache_read = _int(
        _get(prompt_details, "cached_tokens")
        or raw.get("cache_read_input_tokens")
        or raw.get("cached_content_token_count")
        or raw.get("prompt_cache_hit_tokens")
    )
    cache_creation = _int(raw.get("cache_creation_input_tokens"))
    total_prompt = prompt or 0
    if "prompt_tokens" not in raw and "cache_read_input_tokens" in raw:
        total_prompt += cache_read + cache_creation  # Anthropic: input_tokens excludes cache
    return Usage(
        prompt=min(total_prompt, _U32),
        completion=completion or 0,
        cache_read=cache_read,
        cache_creation=cache_creation,
        reasoning=_int(
            _get(completion_details, "reasoning_tokens") or raw.get("thoughts_token_count")
        ),
    )


def _get(source: Any, key: str) -> Any:
    if type(source) is dict or isinstance(source, Mapping):
        return source.get(key)
    return getattr(source, key, None)


def _first(raw: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        if key in raw and raw[key] is not None:
            return _int(raw[key])
    return None


def _int(value: Any) -> int:
    if type(value) is int and 0 <= value <= _U32:
        return value
    if isinstance(value, bool):
        return 0
    if isinstance(value, (list, tuple)):  # Bedrock streams report one count per chunk
        value = sum(v for v in value if isinstance(v, int) and not isinstance(v, bool))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < 0:
        return 0
    return min(value, _U32)


def finish_reason(generations: Sequence[Any]) -> str:
    """``finish_reason`` / ``stop_reason`` of the first generation that reports one."""
    for generation in generations:
        message = getattr(generation, "message", None)
        for source in (generation.generation_info, getattr(message, "response_metadata", None)):
            if type(source) is dict or isinstance(source, Mapping):
                for key in _FINISH_KEYS:
                    value = source.get(key)
                    if value:
                        return str(value)
    return "unknown"


def request_params(
    params: Mapping[str, Any] | None, metadata: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Sampling parameters of the request (temperature, max_tokens, ...) that are set, by
    their metadata key."""
    out: dict[str, Any] = {}
    if type(params) is dict or isinstance(params, Mapping):
        for name, value in params.items():
            key = _PARAMS.get(name)
            if key is not None and value is not None and value != [] and key not in out:
                out[key] = value
    if type(metadata) is dict or isinstance(metadata, Mapping):
        for name, key in _LANGCHAIN_PARAMS:
            value = metadata.get(name)
            if key not in out and value is not None:
                out[key] = value
    return out
