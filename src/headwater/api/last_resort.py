"""The last resort: an error nothing else answered becomes a logged 500 in the dialect's
envelope, and the connection stays open for the client's next request.

Every error a request can cause has its 4xx in the error tables; this is for the bug that
slipped through. It is a middleware rather than a handler of `Exception`, because Starlette
runs such a handler in its outermost middleware, which re-raises after answering, and the
server then closes the keep-alive connection (a client sees a dropped connection on its next
request). Once a response has started (a streamed export failing half-way) nothing can be
said any more: the error goes on up and the server ends the connection, as it must.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class LastResort:
    def __init__(self, app: ASGIApp, answer: Callable[[str], Response]) -> None:
        self.app = app
        self.answer = answer  # toe → the dialect's 500 response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            toe = uuid.uuid4().hex.upper()
            log.exception(
                "unexpected error in %s %s, toe %s", scope.get("method"), scope.get("path"), toe
            )
            if started:
                raise
            await self.answer(toe)(scope, receive, send)
