"""Routes of the web page: `/` (the page), `/web/...` (its files), `/web/config.json`.

None of these needs an API key: the page holds no data of its own, and the key a coordinator
types into it goes with every `/v1` call it makes.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

import matcher
from matcher.api.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
# Leaflet 1.9.4's dist/leaflet.js as published on npm; the PyPI package that bundles it is
# checked against this digest by the tests, so a changed bundle is noticed.
LEAFLET_SHA256 = "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a"
# The HTML names its files without a hash, so browsers must ask again (a 304 is cheap).
NO_CACHE = {"Cache-Control": "no-cache"}


def leaflet_dir() -> Path:
    """Where the installed Leaflet bundle (leaflet.js, leaflet.css, images/) lives."""
    root = importlib.resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    return Path(str(root))


class _StaticNoCache(StaticFiles):
    def file_response(self, *args: Any, **kwargs: Any) -> Any:
        response = super().file_response(*args, **kwargs)
        response.headers.update(NO_CACHE)
        return response


def mount_web(app: FastAPI, settings: Settings) -> None:
    """Serve the page at `/` and its files under `/web/` (left out of the OpenAPI schema)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=NO_CACHE)

    @router.get("/web/config.json")
    def config() -> dict[str, Any]:
        """What the page needs from the server's settings before the coordinator logs in."""
        return {
            "version": matcher.__version__,
            "tile_url": settings.tile_url,
            "tile_attribution": settings.tile_attribution,
            "default_time_limit": settings.default_job_time_limit,
            "max_time_limit": settings.max_job_time_limit,
        }

    app.include_router(router)
    app.mount("/web/vendor/leaflet", _StaticNoCache(directory=leaflet_dir()), name="leaflet")
    app.mount("/web", _StaticNoCache(directory=STATIC_DIR), name="web")
