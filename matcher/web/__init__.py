"""The coordinators' web page, served by the API process itself (`matcher serve`).

The page is static (`static/`: one HTML file, ES modules, a stylesheet and one message
catalogue per language) and calls the same `/v1` endpoints as any other client; Leaflet comes
from an installed package, never from a CDN.
"""

from matcher.web.mount import LEAFLET_SHA256, leaflet_dir, mount_web

__all__ = ["LEAFLET_SHA256", "leaflet_dir", "mount_web"]
