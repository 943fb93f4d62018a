"""The OpenAPI document and the locally served Swagger UI and ReDoc pages.

The docs pages load every asset from this app (the ``fastapi-offline`` package ships
Swagger UI and ReDoc): newsroom networks and this project's CI have no CDN access.
"""

import json
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from app.core.errors import FieldError, Problem, problem_examples

DOCS_ASSETS_PATH = Path(fastapi_offline.__file__).parent / "static"
DOCS_ASSETS_URL = "/docs-assets"

DESCRIPTION = """\
Akhbar (أخبار) serves a news publication's articles, categories, tags and authors as JSON.

* Everything lives under `/v1`; answers are UTF-8 JSON with Arabic unescaped.
* Lists answer `{"data": [...], "meta": {"limit": N, "next_cursor": "..."}}`. Pass
  `meta.next_cursor` back as `cursor` for the next page; the `Link: <…>; rel="next"`
  header carries the same URL.
* Errors are RFC 9457 `application/problem+json` documents; validation problems list
  every bad field in `errors`. Problems a reader can meet come in Arabic when
  `Accept-Language` prefers `ar` (`Content-Language` says which).
* Times are ISO 8601 in UTC with an offset.
* Input is strict: an unknown query parameter or body field is a 422 naming it; a
  trailing slash is a 404. `HEAD` answers wherever `GET` does, without the body.
* URLs are ASCII: percent-encode Arabic in paths and queries (browsers and HTTP libraries
  do; with curl, `-G --data-urlencode 'q=…'`). A request line with raw non-ASCII bytes is
  refused by the HTTP server before the API sees it, with a 400 problem.
"""

TAGS = [
    {
        "name": "articles",
        "description": "Articles: public reads; editor writes, revisions and workflow.",
    },
    {"name": "categories", "description": "Sections of the publication."},
    {"name": "tags", "description": "Topics that cut across sections."},
    {"name": "authors", "description": "The people in the bylines."},
    {"name": "search", "description": "Arabic-aware full-text search."},
    {"name": "comments", "description": "Reader comments, and their moderation."},
    {"name": "ticker", "description": "The breaking-news bar, and its live stream."},
    {"name": "tokens", "description": "API tokens for editors and tools (admin only)."},
    {
        "name": "webhooks",
        "description": "Signed events POSTed to frontends and CDNs when public content "
        "changes (admin only); the events are listed under `webhooks`.",
    },
    {"name": "operations", "description": "Probes for orchestrators and load balancers."},
]


# Marks an operation whose token is optional (a read with an editor's view): the schema
# then says so, as `security: [{}, {bearerToken: []}]`, which FastAPI cannot express.
TOKEN_OPTIONAL = "x-token-optional"
# Marks a list whose items `fields=` may trim: its 200 answer is then documented as either
# the full page or a selection page, whose items have the same properties (same names,
# same types), none of them required. A generated client keeps every property's type.
FIELDS_SELECTION = "x-fields-selection"


def _add_selection_page(schemas: dict[str, Any], content: dict[str, Any]) -> None:
    """``ArticlePage`` → ``ArticlePage | ArticleListItemSelectionPage``."""
    page = content["schema"]["$ref"].rsplit("/", 1)[1]
    item = schemas[page]["properties"]["data"]["items"]["$ref"].rsplit("/", 1)[1]
    selection = f"{item}Selection"
    schemas[selection] = {
        "title": selection,
        "type": "object",
        "description": f"A `{item}` with only the fields named in `fields`.",
        "properties": schemas[item]["properties"],
    }
    schemas[f"{selection}Page"] = {
        "title": f"{selection}Page",
        "type": "object",
        "required": ["data", "meta"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{selection}"}},
            "meta": {"$ref": "#/components/schemas/PageMeta"},
        },
    }
    content["schema"] = {
        "anyOf": [content["schema"], {"$ref": f"#/components/schemas/{selection}Page"}]
    }


# OpenAPI links: from what one operation answers to the operations it makes possible, with
# the id or slug to use (Swagger UI lists them under each answer; client generators and
# Schemathesis's stateful run follow them). (operation, status) → {link name: (the
# operation it leads to, the parameter it fills, the field of this answer that fills it)}.
# Comments are not among an article's links: readers comment on public articles only, and
# an article made or edited may be a draft or scheduled, where commenting is a 404.
_ARTICLE = {
    "read": ("get_article", "ref", "id"),
    "edit": ("update_article", "ref", "id"),
    "delete": ("delete_article", "ref", "id"),
    "revisions": ("list_article_revisions", "ref", "id"),
}
_COMMENT = {
    "moderate": ("moderate_comment", "comment_id", "id"),
    "remove": ("trash_comment", "comment_id", "id"),
}


def _by(noun: str, key: str) -> dict[str, tuple[str, str, str]]:
    """read/edit/delete of one kind, by ``key`` (``headline_id``, ``slug``…)."""
    field = "slug" if key == "slug" else "id"
    return {
        "read": (f"get_{noun}", key, field),
        "edit": (f"update_{noun}", key, field),
        "delete": (f"delete_{noun}", key, field),
    }


LINKS: dict[tuple[str, str], dict[str, tuple[str, str, str]]] = {
    ("create_article", "201"): _ARTICLE,
    ("update_article", "200"): _ARTICLE,
    ("post_comment", "201"): _COMMENT,
    ("post_comment", "202"): _COMMENT,
    ("create_ticker_headline", "201"): _by("ticker_headline", "headline_id"),
    ("create_webhook", "201"): _by("webhook", "webhook_id")
    | {
        "ping": ("ping_webhook", "webhook_id", "id"),
        "deliveries": ("list_webhook_deliveries", "webhook_id", "id"),
    },
    ("create_token", "201"): {"revoke": ("revoke_token", "token_id", "id")},
    ("create_author", "201"): _by("author", "slug"),
    ("create_category", "201"): _by("category", "slug"),
    ("create_tag", "201"): _by("tag", "slug"),
}


def _add_links(paths: dict[str, Any]) -> None:
    operations = {op["operationId"]: op for path in paths.values() for op in path.values()}
    for (source, status), links in LINKS.items():
        response = operations[source]["responses"][status]
        response["links"] = {
            name: {
                "operationId": target,
                "parameters": {parameter: f"$response.body#/{field}"},
                "description": f"`{parameter}` of `{target}` is `{field}` of this answer.",
            }
            for name, (target, parameter, field) in links.items()
        }


def operation_id(route: APIRoute) -> str:
    """The route's function name (``list_articles``): what client generators name methods."""
    return route.name


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            webhooks=app.webhooks.routes,
            tags=TAGS,
        )
        # Problem is referenced by hand in each route's `responses` (its media type is
        # application/problem+json, which FastAPI's `model=` shortcut cannot express).
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schema["components"]["examples"] = problem_examples()
        for model in (FieldError, Problem):
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            model_schema.pop("$defs", None)
            schemas[model.__name__] = model_schema
        for path in schema["paths"].values():
            for operation in path.values():
                if operation.pop(TOKEN_OPTIONAL, False):
                    operation["security"] = [{}, *operation.get("security", [])]
                if operation.pop(FIELDS_SELECTION, False):
                    content = operation["responses"]["200"]["content"]["application/json"]
                    _add_selection_page(schemas, content)
        _add_links(schema["paths"])
        app.openapi_schema = schema
    return app.openapi_schema


def render_openapi(app: FastAPI) -> str:
    """The schema as committed: sorted keys, Arabic unescaped, a final newline."""
    return json.dumps(build_openapi(app), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# The docs pages may load nothing from anywhere else: the browser refuses it before any
# request leaves (ReDoc's footer logo, on a CDN, then falls back to no logo). Inline
# scripts and styles are how both pages start; ReDoc runs its search in a blob: worker.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)


def _docs_page(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
    return page


def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return _docs_page(
        get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{request.app.title} — Swagger UI",
            swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
            # No badge from the public validator service.
            swagger_ui_parameters={"validatorUrl": None},
        )
    )


def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return _docs_page(
        get_redoc_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{request.app.title} — ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
    )


def install_docs(app: FastAPI) -> None:
    # Module-level endpoints, not closures over the app: FastAPI caches facts about every
    # endpoint in process-wide caches, which would keep each app made (in tests) alive.
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=DOCS_ASSETS_PATH), name="docs-assets")
    app.get("/docs", include_in_schema=False)(swagger_ui)
    app.get("/redoc", include_in_schema=False)(redoc)
