"""The OpenAPI description of the HTTP API (served at ``/api/openapi.json``)."""

from __future__ import annotations

_ERROR = {"description": "Bad input", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_Q = {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 500},
      "description": "What the customer typed (plain words; no query syntax)."}
_LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}}
_EXACT = {"name": "exact", "in": "query", "schema": {"type": "string", "enum": ["0", "1"], "default": "0"},
          "description": "1: search the words as typed, without keyboard-layout or typo correction"}
_SESSION = {"name": "X-KB-Session", "in": "header", "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
            "description": "A random anonymous id kept by the browser; nothing personal."}


def _json(ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


OPENAPI: dict = {
    "openapi": "3.0.3",
    "info": {"title": "kb help center API", "version": "1"},
    "paths": {
        "/api/search": {"get": {
            "summary": "Search articles; the query is recorded (without personal data).",
            "parameters": [_Q, _LIMIT, _EXACT, {"name": "source", "in": "query",
                                        "schema": {"type": "string", "enum": ["site", "ops", "api"]}}, _SESSION],
            "responses": {"200": _json("SearchResult", "Ranked articles"), "400": _ERROR}}},
        "/api/suggest": {"get": {
            "summary": "Titles for search-as-you-type (not recorded).",
            "parameters": [_Q],
            "responses": {"200": _json("Suggestions", "Suggestions"), "400": _ERROR}}},
        "/api/link": {"get": {
            "summary": "Ready-to-send links for operators and helpdesk macros (recorded as a search of source 'ops').",
            "parameters": [_Q, _LIMIT, _SESSION],
            "responses": {"200": _json("Links", "Links"), "400": _ERROR}}},
        "/api/click": {"post": {
            "summary": "Record a click on a search result.",
            "parameters": [_SESSION],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Click"}}}},
            "responses": {"204": {"description": "Recorded"}, "400": _ERROR, "404": _ERROR, "413": _ERROR}}},
        "/api/feedback": {"post": {
            "summary": "Record a 'was this helpful?' vote.",
            "parameters": [_SESSION],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Feedback"}}}},
            "responses": {"204": {"description": "Recorded (or ignored as a flood)"}, "400": _ERROR, "404": _ERROR, "413": _ERROR}}},
        "/a/{id}": {"get": {
            "summary": "Short link: redirect to the article's current URL; ?ref=op records an operator-sent link.",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"name": "ref", "in": "query", "schema": {"type": "string", "enum": ["op"]}}],
            "responses": {"302": {"description": "To the article"}, "404": {"description": "Unknown id: a page with a search box"}}}},
        "/healthz": {"get": {"summary": "Liveness and index status",
                             "responses": {"200": _json("Health", "OK"), "503": _json("Health", "No index")}}},
    },
    "components": {"schemas": {
        "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
        "Hit": {"type": "object", "properties": {k: {"type": "string"} for k in ("id", "title", "url", "section", "summary", "snippet")}
                | {"score": {"type": "number"}}},
        "SearchResult": {"type": "object", "properties": {
            "query": {"type": "string"}, "corrected": {"type": "string", "nullable": True},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "query_id": {"type": "string", "nullable": True}}},
        "Suggestions": {"type": "object", "properties": {"suggestions": {"type": "array", "items": {
            "type": "object", "properties": {"title": {"type": "string"}, "url": {"type": "string"}}}}}},
        "Links": {"type": "object", "properties": {
            "query": {"type": "string"},
            "query_id": {"type": "string", "nullable": True,
                         "description": "Post it to /api/click with the link the operator sends: search learns from it"},
            "hits": {"type": "array", "items": {"type": "object", "properties": {
            k: {"type": "string"} for k in ("id", "title", "summary", "short_url", "url")}}}}},
        "Click": {"type": "object", "required": ["query_id", "article_id", "rank"], "properties": {
            "query_id": {"type": "string"}, "article_id": {"type": "string"}, "rank": {"type": "integer", "minimum": 1}}},
        "Feedback": {"type": "object", "required": ["article_id", "helpful"], "properties": {
            "article_id": {"type": "string"}, "helpful": {"type": "boolean"}, "comment": {"type": "string", "maxLength": 2000}}},
        "Health": {"type": "object", "properties": {"status": {"type": "string"}, "articles": {"type": "integer"},
                                                    "index_version": {"type": "string"},
                                                    "meaning": {"type": "array", "items": {"type": "string"}}}},
    }},
}
