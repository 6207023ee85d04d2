"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), from assets served
here (swagger-ui-dist and redoc, pinned in package.json and installed by npm): they work
offline, load nothing from a CDN, and hold no inline script, so a Content-Security-Policy
of `script-src 'self'` admits them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
ASSETS = "/docs-assets"
TITLE = "EHC timeline tracker API"

# Starts Swagger UI on the page: a file of its own, since the page holds no inline script.
# No validator (it would send the schema to a web service) and no deep links to elsewhere.
START_SWAGGER = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    persistAuthorization: false,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
"""

SWAGGER_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{ASSETS}/swagger-ui/swagger-ui.css">
</head><body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/start-swagger.js"></script>
</body></html>
"""

# ReDoc starts itself from the <redoc> element: no script of ours at all.
REDOC_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head><body>
<redoc spec-url="/openapi.json"></redoc>
<script src="{ASSETS}/redoc/redoc.standalone.js"></script>
</body></html>
"""


# ReDoc's side menu shows Redocly's logo from their CDN, with no option to turn it off: the
# bundle is served with that one address replaced by an empty image (its alt text stays).
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def _redoc_bundle() -> bytes:
    bundle = (NODE_MODULES / "redoc" / "bundles" / "redoc.standalone.js").read_text()
    return bundle.replace(REDOC_LOGO, "data:,").encode()


def install(app: FastAPI) -> None:
    """Routes for /docs, /redoc and their assets (create the app with docs_url=None and
    redoc_url=None, so FastAPI's own pages, which load from a CDN, are not served)."""
    app.mount(f"{ASSETS}/swagger-ui", StaticFiles(
        directory=NODE_MODULES / "swagger-ui-dist", check_dir=False), name="swagger-ui")

    @app.get(f"{ASSETS}/redoc/redoc.standalone.js", include_in_schema=False)
    def redoc_bundle() -> Response:
        return Response(_redoc_bundle(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get(f"{ASSETS}/start-swagger.js", include_in_schema=False)
    def start_swagger() -> Response:
        return Response(START_SWAGGER, media_type="text/javascript")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return HTMLResponse(SWAGGER_PAGE)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(REDOC_PAGE)
