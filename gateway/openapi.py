"""The OpenAPI 3.1 document, built from the route table and the pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from gateway.http import Route
from schemas.api import ErrorOut, PendingOut

REF = "#/components/schemas/{model}"
COMMAND_METHODS = ("POST", "PATCH")
"""Methods whose routes send a command: they take an Idempotency-Key and may answer 202."""
STATUS_TEXT = {
    200: "OK", 201: "Created", 202: "Accepted: not answered in time, poll status_url",
    400: "Malformed request", 401: "Missing or bad token", 403: "Not allowed for this caller",
    404: "Not found", 409: "Conflict or illegal transition", 413: "Body too large",
    422: "Invalid fields", 429: "Too many attempts; retry after Retry-After seconds",
    503: "The log is unavailable; retry after Retry-After seconds",
}


def build_openapi(routes: list[Route], version: str) -> dict[str, Any]:
    bodies: set[type[BaseModel]] = {r.body for r in routes if r.body is not None}
    answers: set[type[BaseModel]] = {r.answer for r in routes if r.answer is not None}
    answers |= {ErrorOut, PendingOut}
    validation: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in bodies]
    serialization: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "serialization") for m in answers
    ]
    keyed = sorted(validation + serialization, key=lambda pair: (pair[0].__name__, pair[1]))
    refs, defs = models_json_schema(keyed, ref_template=REF)
    schemas = defs.get("$defs", {})

    def ref(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return dict(refs[(model, mode)])

    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        op: dict[str, Any] = {
            "summary": r.summary,
            "operationId": r.handler.__name__,
            "tags": [r.tag],
            "responses": {},
        }
        if r.roles is not None:
            op["security"] = [{"bearer": []}]
            op["description"] = "Roles: " + ", ".join(sorted(r.roles))
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                  for n in _path_params(r.path)]
        params += [{"name": n, "in": "query", "required": False, "description": d,
                    "schema": {"type": "string"}} for n, d in r.query]
        if r.method in COMMAND_METHODS and r.roles is not None:
            params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "description": "A retry with the same key gets the first answer",
                           "schema": {"type": "string", "maxLength": 200}})
        if params:
            op["parameters"] = params
        if r.body is not None:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": ref(r.body, "validation")}}}
        ok: dict[str, Any] = {"description": STATUS_TEXT.get(r.status, "OK")}
        if r.answer is not None:
            ok["content"] = {r.content_type: {"schema": ref(r.answer, "serialization")}}
        elif r.content_type == "application/pdf":
            ok["content"] = {r.content_type: {"schema": {"type": "string", "format": "binary"}}}
        elif r.content_type.startswith("image/"):
            ok["content"] = {r.content_type: {"schema": {"type": "string"}}}
        op["responses"][str(r.status)] = ok
        if r.method in COMMAND_METHODS and r.roles is not None:
            op["responses"]["202"] = {"description": STATUS_TEXT[202], "content": {
                "application/json": {"schema": ref(PendingOut, "serialization")}}}
        for status in r.errors:
            op["responses"][str(status)] = {"description": STATUS_TEXT[status], "content": {
                "application/json": {"schema": ref(ErrorOut, "serialization")}}}
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Volunteer dispatch platform",
            "version": version,
            "description": "Order (点单) → dispatch (派单) → accept (接单) → review (评单), "
            "points and redemption. Errors are {\"error\": {code, message, details}}.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "bearerFormat": "JWT"}},
        },
    }


def _path_params(path: str) -> list[str]:
    """The names in braces, whole segments or not (`/certificates/{serial}.pdf`)."""
    return re.findall(r"{([^{}]+)}", path)
