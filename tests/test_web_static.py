"""The web page's files as the server serves them, without a browser: every asset the page
names is served, Leaflet is the published 1.9.4 bundle from an installed package, nothing
points off the machine, and the two message catalogues agree with each other and with the
code (every message the page asks for exists in both, every message is asked for).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher.api.app import create_app
from matcher.api.settings import Settings
from matcher.web import LEAFLET_SHA256, leaflet_dir
from matcher.web.mount import STATIC_DIR

CATALOGUES = ("zh-CN", "en")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}",
                        api_keys={"key-a": "org-a"}, min_key_length=5,
                        engine="inprocess")
    with TestClient(create_app(settings)) as c:
        yield c


def catalogue(lang: str) -> dict[str, str]:
    doc: dict[str, str] = json.loads((STATIC_DIR / "i18n" / f"{lang}.json").read_text("utf-8"))
    return doc


def page_sources() -> dict[str, str]:
    """index.html and every script and stylesheet of the page, by file name."""
    return {p.name: p.read_text("utf-8") for p in sorted(STATIC_DIR.iterdir())
            if p.suffix in (".html", ".js", ".css")}


def test_page_served_at_root_without_a_key(client: TestClient) -> None:
    res = client.get("/")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in res.text
    # The API itself still wants its key.
    assert client.get("/v1/jobs/nope").status_code == 401


def test_every_asset_the_page_names_is_served(client: TestClient) -> None:
    html = client.get("/").text
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert "/web/app.js" in assets and "/web/vendor/leaflet/leaflet.js" in assets
    for path in assets:
        res = client.get(path)
        assert res.status_code == 200, path
        assert res.content, path
    # ES modules import each other by relative path: each one exists and is served.
    for name, text in page_sources().items():
        for target in re.findall(r"from '\./([\w-]+\.js)'", text):
            assert client.get(f"/web/{target}").status_code == 200, f"{name} imports {target}"
    for lang in CATALOGUES:
        assert client.get(f"/web/i18n/{lang}.json").json() == catalogue(lang)


def test_leaflet_is_the_published_bundle(client: TestClient) -> None:
    served = client.get("/web/vendor/leaflet/leaflet.js").content
    assert hashlib.sha256(served).hexdigest() == LEAFLET_SHA256
    assert served == (leaflet_dir() / "leaflet.js").read_bytes()
    assert client.get("/web/vendor/leaflet/leaflet.css").status_code == 200
    assert client.get("/web/vendor/leaflet/images/layers.png").status_code == 200


def test_nothing_points_off_the_machine() -> None:
    """No CDN, font service or tile server is named anywhere in the page's files."""
    for name, text in page_sources().items():
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), name
    for lang in CATALOGUES:
        assert "http" not in json.dumps(catalogue(lang))


def test_config_gives_the_tile_url_from_settings(tmp_path: Path) -> None:
    base: dict[str, Any] = {"database_url": f"sqlite:///{tmp_path / 'w.db'}"}
    with TestClient(create_app(Settings(**base))) as c:
        assert c.get("/web/config.json").json()["tile_url"] == ""
    url = "http://127.0.0.1:9999/{z}/{x}/{y}.png"
    with TestClient(create_app(Settings(**base, tile_url=url, tile_attribution="local"))) as c:
        config = c.get("/web/config.json").json()
    assert config["tile_url"] == url and config["tile_attribution"] == "local"


def test_page_routes_stay_out_of_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith("/web")]


def test_catalogues_have_the_same_messages_and_placeholders() -> None:
    zh, en = (catalogue(lang) for lang in CATALOGUES)
    assert zh.keys() == en.keys()
    for key in zh:
        assert zh[key].strip() and en[key].strip(), key
        assert set(PLACEHOLDER.findall(zh[key])) == set(PLACEHOLDER.findall(en[key])), key
    # Chinese by default: the zh-CN catalogue really is Chinese.
    chinese = [k for k, v in zh.items() if re.search(r"[\u4e00-\u9fff]", v)]
    assert len(chinese) > 0.9 * len(zh)


def test_every_message_is_in_the_catalogues_and_used() -> None:
    sources = page_sources()
    code = "\n".join(sources.values())
    asked = set(re.findall(r"\bt\(\s*'([\w.]+)'", code))
    asked |= set(re.findall(r'data-i18n(?:-placeholder|-title)?="([\w.]+)"', code))
    keys = catalogue("zh-CN").keys()
    assert asked, "the scan found no message at all"
    assert asked <= keys, sorted(asked - keys)
    # Keys reached through a lookup table (stage and state names) are still written out.
    unused = [k for k in keys if f"'{k}'" not in code and f'"{k}"' not in code]
    assert not unused, unused


def test_no_user_facing_text_outside_the_catalogues() -> None:
    """The HTML's elements carry their text through data-i18n, not inline."""
    html = (STATIC_DIR / "index.html").read_text("utf-8")
    body = html.split("<body>", 1)[1]
    text = re.sub(r"<[^>]+>", " ", body)
    assert [w for w in re.findall(r"[^\s]+", text) if re.search(r"\w", w)] == []
