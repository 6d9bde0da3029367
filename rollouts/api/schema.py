"""What the views' own schemas do not say, added to every operation in one place (a
drf-spectacular postprocessing hook, see SPECTACULAR_SETTINGS): the response headers (`ETag`,
`Location`, `Retry-After`, `WWW-Authenticate`, `X-RateLimit-*`), conditional requests
(`If-None-Match` → 304, `If-Match` → 412, from the views' `etag_answers`, `if_none_match` and
`if_match`), and the errors any operation may answer: 406 (Accept), 429 (rate limits), and on
those with a body 413 (too large) and 415 (not JSON).

405 is not an operation's answer (it is the answer of a method a path does not list), so it is
documented by the `Allow` header of OPTIONS, not here.
"""

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def _header(description: str, schema: dict) -> dict:
    return {"description": description, "schema": schema}


HEADERS = {
    "ETag": _header(
        "The representation's tag: send it back in If-None-Match (304 when unchanged) or "
        "If-Match (412 when it changed since).",
        {"type": "string"},
    ),
    "Location": _header("The URL of the new object.", {"type": "string"}),
    "Retry-After": _header("Seconds to wait before the next request.", {"type": "integer"}),
    "WWW-Authenticate": _header('The scheme to use: `Bearer realm="api"`.', {"type": "string"}),
    "X-RateLimit-Limit": _header(
        "Requests allowed in the window of the tighter rate limit (per token, per address).",
        {"type": "integer"},
    ),
    "X-RateLimit-Remaining": _header("Requests left in that window.", {"type": "integer"}),
    "X-RateLimit-Reset": _header(
        "Seconds until that window allows one more request.", {"type": "integer"}
    ),
}
RATE_LIMIT = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")

CONDITIONS = {
    "If-None-Match": "An ETag from an earlier answer: 304 (no body) while it is still current.",
    "If-Match": "The ETag of the rollout or plan as you read it: 412 (nothing is done) when it "
    "has changed since.",
}

EXTRA_ERRORS = {
    406: "The Accept header allows no JSON.",
    413: "The request body is too large.",
    415: "The request body is not `application/json`.",
    429: "Too many requests, per token or per address: wait `Retry-After` seconds.",
    412: "If-Match names an ETag that is no longer current; nothing was done.",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/headers/{name}"}


def _views_by_operation(generator) -> dict:
    """(path as in the schema, method) -> view class."""
    views = {}
    for path, _regex, method, callback in generator.endpoints or ():
        views[path.replace("{pk}", "{id}"), method.lower()] = getattr(callback, "cls", None)
    return views


def document_conventions(result, generator, request, public):
    result.setdefault("components", {}).setdefault("headers", {}).update(HEADERS)
    views = _views_by_operation(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            _document(operation, method.upper(), views.get((path, method)))
    return result


def _document(operation: dict, method: str, view) -> None:
    responses = operation.setdefault("responses", {})
    conditional = {
        "answers": method in getattr(view, "etag_answers", ()),
        "If-None-Match": method in getattr(view, "if_none_match", ()),
        "If-Match": method in getattr(view, "if_match", ()),
    }
    for name in ("If-None-Match", "If-Match"):
        if conditional[name]:
            operation.setdefault("parameters", []).append(
                {
                    "in": "header",
                    "name": name,
                    "required": False,
                    "schema": {"type": "string"},
                    "description": CONDITIONS[name],
                }
            )
    if conditional["If-None-Match"]:
        responses["304"] = {
            "description": "Not modified: your copy (If-None-Match) is current.",
            "headers": {"ETag": _ref("ETag")},
        }
    codes = [406, 429]
    if "requestBody" in operation:
        codes += [413, 415]
    if conditional["If-Match"]:
        codes.append(412)
    for code in codes:
        responses.setdefault(str(code), {"description": EXTRA_ERRORS[code], "content": ERROR})
    for code, response in responses.items():
        headers = response.setdefault("headers", {})
        if code == "401":
            headers["WWW-Authenticate"] = _ref("WWW-Authenticate")
        elif code == "429":
            headers["Retry-After"] = _ref("Retry-After")
        elif code == "201":
            headers["Location"] = _ref("Location")
        elif code == "200" and conditional["answers"]:
            headers["ETag"] = _ref("ETag")
        if code != "406":  # refused before the rate limits are counted
            headers.update({name: _ref(name) for name in RATE_LIMIT})
    operation["responses"] = dict(sorted(responses.items()))
