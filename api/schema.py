"""What the schema says every operation may answer besides its own results: the refusals any
call can meet (no or a bad token, a role or scope that may not, an object not there or not
the caller's, too many calls), each a JSON object with a ``detail`` in the caller's language."""

ERROR = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["detail"],
}
COMMON = {
    "401": "No token, or an unknown, expired or revoked one.",
    "403": "The caller's role or the token's scope does not allow this.",
    "404": "Not there, or not the caller's to see.",
    "429": "Too many calls: wait the seconds the Retry-After header says.",
}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    reference = {"$ref": "#/components/schemas/Error"}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in COMMON.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result
