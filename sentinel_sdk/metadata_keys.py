"""Every metadata key the SDK and its integrations write: one vocabulary, named after OpenTelemetry.

Where an OpenTelemetry semantic convention has the same meaning and unit, its
name is used (GenAI: ``gen_ai.*``, ``openai.*``; general: ``server.address``,
``error.type``, ``user.id``; HTTP: ``http.request.method``, ``http.route``,
``url.path``, ``url.query``); everything else is under ``sentinel.*``. Values are
always strings: the core reads metadata as ``HashMap<String, String>`` (numbers
in decimal, booleans ``true`` / ``false``, lists comma-joined).

Integrations write these constants, never literal keys; ``KEYS`` documents each
one (meaning, unit, who writes it), and the README's metadata table is generated
from it. A key ending in ``.*`` is a prefix: the rest of the name comes from the
caller (``sentinel.langchain.metadata.<key>``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ERROR_TYPE",
    "GEN_AI_OPERATION_NAME",
    "GEN_AI_PROVIDER_NAME",
    "GEN_AI_REQUEST_CHOICE_COUNT",
    "GEN_AI_REQUEST_FREQUENCY_PENALTY",
    "GEN_AI_REQUEST_MAX_TOKENS",
    "GEN_AI_REQUEST_MODEL",
    "GEN_AI_REQUEST_PRESENCE_PENALTY",
    "GEN_AI_REQUEST_REASONING_LEVEL",
    "GEN_AI_REQUEST_SEED",
    "GEN_AI_REQUEST_STOP_SEQUENCES",
    "GEN_AI_REQUEST_STREAM",
    "GEN_AI_REQUEST_TEMPERATURE",
    "GEN_AI_REQUEST_TOP_K",
    "GEN_AI_REQUEST_TOP_P",
    "GEN_AI_RESPONSE_ID",
    "GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS",
    "GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS",
    "GEN_AI_USAGE_REASONING_OUTPUT_TOKENS",
    "HTTP_REQUEST_METHOD",
    "HTTP_ROUTE",
    "KEYS",
    "OPENAI_API_TYPE",
    "OPENAI_REQUEST_SERVICE_TIER",
    "OPENAI_RESPONSE_SERVICE_TIER",
    "OPENAI_RESPONSE_SYSTEM_FINGERPRINT",
    "SENTINEL_CANCELLED",
    "SENTINEL_COST_KNOWN",
    "SENTINEL_ERROR_STATUS_CODE",
    "SENTINEL_GENERATIONS",
    "SENTINEL_INTEGRATION",
    "SENTINEL_INTERRUPTED",
    "SENTINEL_LANGCHAIN_METADATA",
    "SENTINEL_LANGCHAIN_PARENT_RUN_ID",
    "SENTINEL_LANGCHAIN_RUN_ID",
    "SENTINEL_LANGCHAIN_RUN_NAME",
    "SENTINEL_LANGCHAIN_TAGS",
    "SENTINEL_REQUEST_ID",
    "SENTINEL_REQUEST_TOOLS",
    "SENTINEL_REQUEST_TOOL_CHOICE",
    "SENTINEL_RESPONSE_TOOL_CALLS",
    "SENTINEL_STREAM_CHUNKS",
    "SENTINEL_TEST",
    "SENTINEL_TIME_TO_FIRST_TOKEN_MS",
    "SENTINEL_TRUNCATED",
    "SENTINEL_USAGE_REPORTED",
    "SERVER_ADDRESS",
    "URL_PATH",
    "URL_QUERY",
    "USER_ID",
    "Key",
]


@dataclass(frozen=True)
class Key:
    """One metadata key: its name, what it means, its unit and who writes it."""

    name: str
    meaning: str
    unit: str
    writers: tuple[str, ...]

    @property
    def is_prefix(self) -> bool:
        """True for a family of keys (``name`` ends in ``.*``)."""
        return self.name.endswith(".*")


KEYS: dict[str, Key] = {}
"""Every key, by name, in the order the README's table lists them."""

_CORE = ("core",)
_WEB = ("asgi", "django", "flask")
_LLM = ("langchain", "openai")


def _key(name: str, meaning: str, *, unit: str = "", writers: tuple[str, ...]) -> str:
    KEYS[name] = Key(name, meaning, unit, writers)
    return name.removesuffix("*")


# One line per key: the vocabulary is a table (kept one by fmt: off).
# fmt: off
# -- the request scope ------------------------------------------------------------------

HTTP_REQUEST_METHOD = _key("http.request.method", "HTTP method of the request being served.", writers=_WEB)
HTTP_ROUTE = _key("http.route", "The matched route template (`/chat/{session_id}`); the path until routing has matched.", writers=_WEB)
URL_PATH = _key("url.path", "Path of the request being served.", writers=_WEB)
URL_QUERY = _key("url.query", "Its query string, without the `?` (when there is one).", writers=_WEB)
SENTINEL_REQUEST_ID = _key("sentinel.request_id", "The request's `X-Request-ID` header (its first 200 characters), else a generated id.", writers=_WEB)
USER_ID = _key("user.id", "Set by `sentinel_sdk.set_user(id)` during a request.", writers=_CORE)

# -- the SDK's own ------------------------------------------------------------------------

SENTINEL_TRUNCATED = _key("sentinel.truncated", "Which texts were cut to `max_text_length`: `prompt`, `response` or both.", writers=_CORE)
SENTINEL_COST_KNOWN = _key("sentinel.cost_known", "Set by the cost fill-in: `true` (priced from the table), `false` (model not in it).", writers=_CORE)
SENTINEL_TEST = _key("sentinel.test", "`true` on the test event of `ping()` / `sentinel check`.", writers=_CORE)
SENTINEL_INTEGRATION = _key("sentinel.integration", "The integration that captured the call.", writers=_LLM)

# -- the LLM call: OpenTelemetry GenAI ------------------------------------------------------

GEN_AI_OPERATION_NAME = _key("gen_ai.operation.name", "`chat`, or `text_completion` for a completion model.", writers=_LLM)
GEN_AI_PROVIDER_NAME = _key("gen_ai.provider.name", "The provider (`openai`; under LangChain its `ls_provider`).", writers=_LLM)
GEN_AI_REQUEST_MODEL = _key("gen_ai.request.model", "The model asked for, when the provider answered with another (the event's `model`).", writers=_LLM)
GEN_AI_RESPONSE_ID = _key("gen_ai.response.id", "The provider's id of the response.", writers=("openai",))
GEN_AI_REQUEST_TEMPERATURE = _key("gen_ai.request.temperature", "Sampling temperature asked for.", writers=_LLM)
GEN_AI_REQUEST_MAX_TOKENS = _key("gen_ai.request.max_tokens", "Most tokens the response may have.", unit="tokens", writers=_LLM)
GEN_AI_REQUEST_TOP_P = _key("gen_ai.request.top_p", "Nucleus sampling `top_p`.", writers=_LLM)
GEN_AI_REQUEST_TOP_K = _key("gen_ai.request.top_k", "Top-k sampling.", writers=("langchain",))
GEN_AI_REQUEST_FREQUENCY_PENALTY = _key("gen_ai.request.frequency_penalty", "Frequency penalty asked for.", writers=_LLM)
GEN_AI_REQUEST_PRESENCE_PENALTY = _key("gen_ai.request.presence_penalty", "Presence penalty asked for.", writers=_LLM)
GEN_AI_REQUEST_SEED = _key("gen_ai.request.seed", "Sampling seed asked for.", writers=_LLM)
GEN_AI_REQUEST_STOP_SEQUENCES = _key("gen_ai.request.stop_sequences", "Stop sequences, as JSON (a string or a list).", writers=_LLM)
GEN_AI_REQUEST_CHOICE_COUNT = _key("gen_ai.request.choice.count", "How many choices were asked for (`n`).", writers=_LLM)
GEN_AI_REQUEST_REASONING_LEVEL = _key("gen_ai.request.reasoning.level", "Reasoning effort asked for (`low`, `high`, ...).", writers=_LLM)
GEN_AI_REQUEST_STREAM = _key("gen_ai.request.stream", "`true` when the response was streamed.", writers=_LLM)
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = _key("gen_ai.usage.cache_read.input_tokens", "Input tokens read from the provider's prompt cache (part of the prompt tokens; priced at the cached rate).", unit="tokens", writers=_LLM)
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = _key("gen_ai.usage.cache_creation.input_tokens", "Input tokens written to the provider's prompt cache (part of the prompt tokens; priced at the cache-write rate).", unit="tokens", writers=_LLM)
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = _key("gen_ai.usage.reasoning.output_tokens", "Output tokens spent on reasoning (part of the response tokens).", unit="tokens", writers=_LLM)
SERVER_ADDRESS = _key("server.address", "Host of the provider's API.", writers=("openai",))
ERROR_TYPE = _key("error.type", "Class name of the error the call failed with.", writers=_LLM)
OPENAI_API_TYPE = _key("openai.api.type", "`chat_completions` or `responses`.", writers=("openai",))
OPENAI_REQUEST_SERVICE_TIER = _key("openai.request.service_tier", "Service tier asked for.", writers=("openai",))
OPENAI_RESPONSE_SERVICE_TIER = _key("openai.response.service_tier", "Service tier that served the call.", writers=("openai",))
OPENAI_RESPONSE_SYSTEM_FINGERPRINT = _key("openai.response.system_fingerprint", "The backend configuration's fingerprint.", writers=("openai",))

# -- the LLM call: the rest ---------------------------------------------------------------

SENTINEL_USAGE_REPORTED = _key("sentinel.usage_reported", "`true` when the provider reported token usage, `false` when the counts are 0 for lack of it.", writers=_LLM)
SENTINEL_TIME_TO_FIRST_TOKEN_MS = _key("sentinel.time_to_first_token_ms", "From the request to the first streamed output (text, refusal or tool call).", unit="ms", writers=_LLM)
SENTINEL_STREAM_CHUNKS = _key("sentinel.stream.chunks", "Chunks (or events) the stream delivered.", writers=("openai",))
SENTINEL_RESPONSE_TOOL_CALLS = _key("sentinel.response.tool_calls", "Names of the tools the model called, comma-joined.", writers=_LLM)
SENTINEL_GENERATIONS = _key("sentinel.generations", "How many generations (choices) came back, when more than one.", writers=_LLM)
SENTINEL_REQUEST_TOOLS = _key("sentinel.request.tools", "Names of the tools offered to the model, comma-joined.", writers=("openai",))
SENTINEL_REQUEST_TOOL_CHOICE = _key("sentinel.request.tool_choice", "`tool_choice` asked for, as JSON.", writers=("openai",))
SENTINEL_ERROR_STATUS_CODE = _key("sentinel.error.status_code", "HTTP status of the provider's error response (not `http.response.status_code`: the `http.*` keys describe the app's own request).", writers=_LLM)
SENTINEL_CANCELLED = _key("sentinel.cancelled", "`true` when the call was cancelled or its stream closed early (finish reason `cancelled`, no error).", writers=_LLM)
SENTINEL_INTERRUPTED = _key("sentinel.interrupted", "LangGraph control flow that ended the run (`GraphInterrupt`, ...; finish reason `interrupted`, no error).", writers=("langchain",))
SENTINEL_LANGCHAIN_RUN_ID = _key("sentinel.langchain.run_id", "LangChain's id of the model run.", writers=("langchain",))
SENTINEL_LANGCHAIN_PARENT_RUN_ID = _key("sentinel.langchain.parent_run_id", "The id of the run that started it (a chain, a graph node).", writers=("langchain",))
SENTINEL_LANGCHAIN_RUN_NAME = _key("sentinel.langchain.run_name", "The run's name, when LangChain gives one.", writers=("langchain",))
SENTINEL_LANGCHAIN_TAGS = _key("sentinel.langchain.tags", "The run's tags, comma-joined.", writers=("langchain",))
SENTINEL_LANGCHAIN_METADATA = _key("sentinel.langchain.metadata.*", "The run's LangChain metadata (e.g. `langgraph_node`), its own `ls_*` / `lc_*` keys left out; at most 64 keys, values cut to 512 characters.", writers=("langchain",))
# fmt: on
