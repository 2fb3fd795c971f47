from __future__ import annotations

from fastapi import APIRouter

from headwater import __version__

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness; the only path that needs no token."""
    return {"status": "ok", "version": __version__}
