"""Per-request capture for ASGI apps (Starlette, FastAPI): one middleware, pure ASGI.

from fastapi import FastAPI
from sentinel_sdk_asgi import SentinelMiddleware

app = FastAPI()
app.add_middleware(SentinelMiddleware, brokers=["localhost:9092"], service_name="chat-api")
"""

from __future__ import annotations

from ._middleware import SCOPE_KEY, TRACE_HEADER, SentinelMiddleware

__all__ = ["SCOPE_KEY", "TRACE_HEADER", "SentinelMiddleware"]
