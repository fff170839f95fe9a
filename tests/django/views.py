"""Views for the Django framework tests: sync, async, streaming, failing, threaded."""

# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

import sentinel_sdk


class ViewError(Exception):
    """Raised by the failing view."""


def track(label: str) -> None:
    sentinel_sdk.track(model="fake-model", prompt=label, response="ok")


def chat(request: HttpRequest, session_id: str) -> JsonResponse:
    track("sync")
    return JsonResponse({"session": session_id})


async def achat(request: HttpRequest, session_id: str) -> JsonResponse:
    track("async")
    return JsonResponse({"session": session_id})


def stream(request: HttpRequest) -> StreamingHttpResponse:
    def chunks() -> Iterator[bytes]:
        for i in range(3):
            track(f"stream-{i}")
            yield f"chunk {i}\n".encode()

    return StreamingHttpResponse(chunks(), content_type="text/plain")


async def astream(request: HttpRequest) -> StreamingHttpResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(3):
            track(f"astream-{i}")
            await asyncio.sleep(0)
            yield f"chunk {i}\n".encode()

    return StreamingHttpResponse(chunks(), content_type="text/plain")


def boom(request: HttpRequest) -> HttpResponse:
    track("before-error")
    raise ViewError("boom")


def health(request: HttpRequest) -> HttpResponse:
    track("health")
    return HttpResponse("ok")


async def threads(request: HttpRequest) -> HttpResponse:
    await sync_to_async(track)("sync_to_async")
    await asyncio.to_thread(track, "to_thread")
    return HttpResponse("ok")
