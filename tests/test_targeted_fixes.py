"""Fixes from the targeted list (benchmarks/realworld/targeted.yaml): the grade a hit gets, where the fixture
test (tests/rules/) checks only its place. Each case is a minimal synthetic copy of a shape read on real code:
a key in a Vite module nothing imports, an ElevenLabs key in client code, a Midtrans client key, flask-cors
repeated by decorators, '*' with credentials on a bearer-token API, public values in a committed .env, a
Firebase web config."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from auditlib.collect.files import list_files
from auditlib.collect.secrets import collect_secrets
from auditlib.models import RuleHit

from .factories import rule_hits


def _hits(root: Path, files: dict[str, str], rule: str) -> list[RuleHit]:
    return rule_hits(root, files, rule)


def _rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


# ----------------------------------------------------------------------------- secret.exposed_to_client
VITE_APP = {
    "index.html": '<div id="root"></div><script type="module" src="/src/main.jsx"></script>\n',
    "src/main.jsx": """
        import { createRoot } from "react-dom/client";
        import App from "./App";
        createRoot(document.getElementById("root")).render(<App />);
    """,
    "src/App.jsx": """
        import { ask } from "./wired";
        export default function App() { return <button onClick={() => ask("hi")}>ask</button>; }
    """,
    "src/wired.js": """
        const key = import.meta.env.VITE_OPENAI_API_KEY;
        export const ask = (q) => fetch("https://api.openai.com/v1/responses", { headers: { Authorization: `Bearer ${key}` }, body: q });
    """,
    "src/unused.js": """
        const key = import.meta.env.VITE_GEMINI_API_KEY;
        export const summarise = (t) => fetch(`https://generativelanguage.googleapis.com/v1beta/x?key=${key}`, { body: t });
    """,
}


def test_a_vite_key_in_a_module_nothing_imports_is_latent_low(tmp_path: Path) -> None:
    hits = {h.path: h for h in _hits(tmp_path, VITE_APP, "secret.exposed_to_client")}
    assert set(hits) == {"src/unused.js", "src/wired.js"}
    assert (hits["src/wired.js"].severity, hits["src/wired.js"].confidence) == ("critical", "high")
    assert (hits["src/unused.js"].severity, hits["src/unused.js"].confidence) == ("low", "medium")
    assert "latent" in hits["src/unused.js"].evidence


def test_elevenlabs_key_in_client_code_is_a_provider_key_and_the_midtrans_client_key_is_public(tmp_path: Path) -> None:
    hits = _hits(tmp_path, {
        "lib/voice.ts": """
            "use client";
            const voiceKey = process.env.NEXT_PUBLIC_ELEVEN_LABS_API_KEY;
            const snapKey = process.env.NEXT_PUBLIC_MIDTRANS_CLIENT_KEY;
            export const headers = { "xi-api-key": voiceKey, "data-client-key": snapKey };
        """,
    }, "secret.exposed_to_client")
    assert [(h.line, h.severity) for h in hits] == [(3, "critical")]


# ------------------------------------------------------------------------------------- web.cors_any_origin
def _fastapi(auth: str) -> dict[str, str]:
    return {"main.py": f"""
        from fastapi import Depends, FastAPI, Request
        from fastapi.middleware.cors import CORSMiddleware
        app = FastAPI()
        app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)

        def get_current_user(request: Request):
            {auth}

        @app.get("/me")
        def me(user=Depends(get_current_user)):
            return user
    """}


def test_star_with_credentials_is_high_only_when_a_cookie_authenticates(tmp_path: Path) -> None:
    bearer = _hits(tmp_path / "bearer", _fastapi('return request.headers["authorization"]'), "web.cors_any_origin")
    cookie = _hits(tmp_path / "cookie", _fastapi('return request.cookies["session"]'), "web.cors_any_origin")
    assert len(bearer) == 1 and bearer[0].severity in {"medium", "low"} and "header" in bearer[0].evidence
    assert [h.severity for h in cookie] == ["high"]


def test_the_cors_package_star_with_credentials_is_not_high(tmp_path: Path) -> None:
    hits = _hits(tmp_path, {"server.js": """
        const express = require("express");
        const cors = require("cors");
        const app = express();
        app.use(cors({ origin: "*", credentials: true }));
        app.get("/me", (req, res) => { if (!req.cookies.sid) return res.status(401).end(); res.json({ ok: 1 }); });
    """}, "web.cors_any_origin")
    assert len(hits) == 1 and hits[0].severity != "high" and "literal '*'" in hits[0].evidence


def test_cross_origin_decorators_repeating_the_app_policy_are_one_finding(tmp_path: Path) -> None:
    hits = _hits(tmp_path, {"app.py": """
        from flask import Flask
        from flask_cors import CORS, cross_origin
        app = Flask(__name__)
        CORS(app)

        @app.route("/a")
        @cross_origin()
        def a():
            return "a"

        @app.route("/b")
        @cross_origin(origins="*")
        def b():
            return "b"
    """}, "web.cors_any_origin")
    assert [h.line for h in hits] == [5]
    assert "2 @cross_origin decorators repeating it, lines 8, 13" in hits[0].evidence


# ------------------------------------------------------------------------------ public values in secrets
def test_public_values_in_a_committed_env_and_a_firebase_web_config_are_not_credentials(tmp_path: Path) -> None:
    google_id = f"{_rand(12, string.digits)}-{_rand(32, string.ascii_lowercase + string.digits)}.apps.googleusercontent.com"
    firebase_key = "AIza" + _rand(35)
    gemini_key = "AIza" + _rand(35)
    secret_key = _rand(40)
    (tmp_path / ".env").write_text(
        f"GOOGLE_OAUTH_CLIENT_ID={google_id}\n"
        f"GITHUB_OAUTH_CLIENT_ID=Iv23{_rand(16)}\n"
        f"STRIPE_PUBLISHABLE_KEY=pk_test_{_rand(40)}\n"
        f"VOICE_SERVICE_SECRET_KEY={secret_key}\n", encoding="utf-8")
    (tmp_path / "firebase.js").write_text(
        "const firebaseConfig = {\n"
        f'  apiKey: "{firebase_key}",\n'
        '  authDomain: "demo-app.firebaseapp.com",\n'
        '  projectId: "demo-app",\n'
        "};\n", encoding="utf-8")
    (tmp_path / "gemini.js").write_text(f'export const client = new GoogleGenAI({{ apiKey: "{gemini_key}" }});\n',
                                        encoding="utf-8")
    facts = collect_secrets(list_files(tmp_path), history=False)
    found = {(h.path, h.line) for h in facts.hits if not h.placeholder}
    assert found == {(".env", 4), ("gemini.js", 1)}


def test_a_cors_header_inside_a_string_of_another_programs_source_is_no_policy(tmp_path: Path) -> None:
    """A Python module that keeps a prototype's source as text (a demo generator) sets no header itself."""
    hits = _hits(tmp_path, {"gen.py": '''
        APP = """
        @app.after_request
        def allow_any_origin(response):
            response.headers["Access-Control-Allow-Origin"] = "*"
            return response
        """

        def write(path):
            open(path, "w").write(APP)
    '''}, "web.cors_any_origin")
    assert hits == []
