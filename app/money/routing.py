"""Request bodies parsed with JSON numbers as Decimal, so 0.1 stays 0.1 and 1e309 is not inf."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class DecimalJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            # NaN/Infinity reach the amount validators as text, which reject them by field name
            # (and the 422 body, which echoes the input, stays valid JSON).
            self._json = json.loads(await self.body(), parse_float=Decimal, parse_constant=str)
        return self._json


class DecimalJSONRoute(APIRoute):
    """An APIRoute whose JSON body numbers are Decimal, never binary floats."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def decimal_handler(request: Request) -> Response:
            return await handler(DecimalJSONRequest(request.scope, request.receive))

        return decimal_handler
