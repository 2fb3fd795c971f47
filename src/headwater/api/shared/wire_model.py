"""The base of every response model: what the OpenAPI document says a body holds.

Response models document; they do not build the answer. Handlers keep building their JSON as
they did (FastAPI serialises that as before, and the bytes on the wire do not change), and a
route names its model with `responses=typed(Model)` (`api.openapi_responses`). What keeps the
document true is the API suite: every 2xx JSON answer it receives is validated against the
document (tests/api/conftest.py).

`extra="forbid"` makes each model's schema closed (`additionalProperties: false`), so a field a
handler adds without adding it here fails that validation, instead of going undocumented.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
