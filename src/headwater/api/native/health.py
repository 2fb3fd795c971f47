from __future__ import annotations

from fastapi import APIRouter

from headwater import __version__
from headwater.api.native.responses import Health
from headwater.api.openapi_responses import typed

router = APIRouter(tags=["health"])


@router.get("/health", responses=typed(Health))
def health() -> dict[str, str]:
    """Liveness; the only path that needs no token."""
    return {"status": "ok", "version": __version__}
