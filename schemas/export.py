"""JSON Schema files for app and kiosk developers: one per model, and an index of topics."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schemas import api, base, commands, events, views
from schemas.topics import CATALOGUE

ABSTRACT = {"Frozen", "Message", "Command", "Event", "CountyCommand", "RequestCommand",
            "VolunteerCommand", "ItemCommand", "CountyEvent", "RequestEvent", "VolunteerEvent",
            "ItemEvent"}


def _models(module: object) -> list[type[BaseModel]]:
    return [
        m for name, m in inspect.getmembers(module, inspect.isclass)
        if issubclass(m, BaseModel) and m.__module__ == getattr(module, "__name__", "")
        and name not in ABSTRACT
    ]


def export_json_schemas(out: Path) -> list[Path]:
    written: list[Path] = []
    groups = {"commands": commands, "events": events, "views": views, "api": api,
              "envelope": base}
    index: dict[str, Any] = {"topics": [], "models": {}}
    for group, module in groups.items():
        folder = out / group
        folder.mkdir(parents=True, exist_ok=True)
        for model in _models(module):
            path = folder / f"{model.__name__}.json"
            schema = model.model_json_schema(mode="validation")
            path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
            written.append(path)
            index["models"].setdefault(group, []).append(model.__name__)
    for topic in CATALOGUE:
        index["topics"].append({
            "name": topic.name, "keyed_by": topic.keyed_by, "partitions": topic.partitions,
            "retention_ms": topic.retention_ms, "cleanup_policy": topic.cleanup_policy,
            "purpose": topic.purpose,
            "schema": topic.adapter.json_schema(mode="validation"),
        })
    index_path = out / "index.json"
    index_path.write_text(json.dumps(index, ensure_ascii=False, indent=2) + "\n")
    written.append(index_path)
    return written
