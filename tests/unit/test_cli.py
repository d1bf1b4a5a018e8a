"""The `vdispatch` command's offline parts: tokens and the JSON Schema export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.auth import verify_token
from runtime.cli import main
from runtime.settings import Settings
from schemas.common import Role


def test_token_prints_a_token_the_gateway_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VD_SECRET", raising=False)
    assert main(["token", "--role", "leader", "--subject", "L011"]) == 0
    token = capsys.readouterr().out.strip()
    principal = verify_token(Settings.from_env().key_ring(), token)
    assert (principal.role, principal.subject) == (Role.LEADER, "L011")
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0, "the secret is private"


def test_token_refuses_a_bad_subject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VD_DATA_DIR", str(tmp_path))
    assert main(["token", "--role", "staff", "--subject", "bad subject!"]) == 2


def test_schemas_export_writes_one_schema_per_model_and_the_topics(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    assert main(["schemas", "export", "--out", str(out)]) == 0
    index = json.loads((out / "index.json").read_text())
    assert {t["name"] for t in index["topics"]} >= {"dispatch-commands", "ledger-events"}
    submit = json.loads((out / "commands" / "SubmitRequest.json").read_text())
    assert "service_type" in submit["properties"]
    assert (out / "events" / "PointsCredited.json").exists()
    assert (out / "api" / "RequestIn.json").exists()
    assert not (out / "commands" / "Command.json").exists(), "no abstract bases"
