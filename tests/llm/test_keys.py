"""API keys come from the environment and are never written: not to the cache, manifests, logs or errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, completion

from toolsynth.artifacts import write_artifact, write_manifest
from toolsynth.errors import LLMError
from toolsynth.llm.config import LLMConfig
from toolsynth.llm.gateway import Gateway

KEY = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


@pytest.mark.parametrize("transport", ["direct", "litellm"])
def test_key_never_written(transport, tmp_path: Path, monkeypatch, caplog, capfd) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    seen_auth: list[str] = []

    def respond(body, headers):
        seen_auth.append(headers.get("authorization", ""))
        if body["messages"][-1]["content"] == "bad":
            # providers echo (part of) a rejected key in the error text
            return 401, {
                "error": {"message": f"Incorrect API key provided: {KEY}. Also {KEY[:8]}...{KEY[-6:]}"}
            }
        return 200, completion("answer", tool_calls=None)

    for name in ("toolsynth", "LiteLLM", "litellm", "httpx", "openai", "aiohttp"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored by caplog after the test
    with FakeOpenAI(respond) as srv:
        cfg = LLMConfig(
            model="openai/gpt-4o-mini",
            api_base=srv.base,
            transport=transport,
            cache_dir=str(tmp_path / "cache"),
            retry_base_s=0.001,
        )
        gw = Gateway(cfg, stage="keys")
        res = gw.run(gw.chat("assistant", [{"role": "user", "content": "hello"}]))
        with pytest.raises(LLMError) as info:
            gw.run(gw.chat("assistant", [{"role": "user", "content": "bad"}]))
        s = gw.structured  # structured path too
        gw.run(s("judge", [{"role": "user", "content": "hello"}], {"type": "object"}))
        gw.close()
    assert seen_auth and all(a == f"Bearer {KEY}" for a in seen_auth)  # the key did reach the server
    err = info.value.one_line()
    assert "authentication failed" in err

    out = tmp_path / "out.jsonl"
    write_artifact(out, "dialog", [{"id": "1", "text": res.content}])
    write_manifest(
        out, kind="dialog", counts={"n": 1}, options=cfg.model_dump(), extra={"llm": gw.usage_summary()}
    )
    captured = capfd.readouterr()
    texts = [err, caplog.text, captured.out, captured.err, repr(gw.usage_summary()), repr(cfg.model_dump())]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("llm-cache") for p in files)
    for needle in (KEY, KEY[:12], KEY[-10:]):
        for t in texts:
            assert needle not in t
        for p in files:
            assert needle.encode() not in p.read_bytes(), p


def test_api_key_overrides_are_refused(make_gateway) -> None:
    gw = make_gateway()
    with pytest.raises(LLMError, match="environment"):
        gw.run(gw.chat("assistant", [{"role": "user", "content": "x"}], api_key="sk-nope"))
