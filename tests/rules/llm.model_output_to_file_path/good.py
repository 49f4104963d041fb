"""Model output written INTO fixed files, and tools whose paths are confined to a folder."""
import json
import os
from pathlib import Path

from langchain_core.tools import tool
from mcp.server.fastmcp import Context, FastMCP
from openai import OpenAI
from werkzeug.utils import secure_filename

client = OpenAI()
mcp = FastMCP("files")
BASE = Path("/srv/workspace").resolve()
ALLOWED = {"notes.md", "todo.md"}


def summarise(text):
    resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
    answer = resp.choices[0].message.content
    with open("summary.md", "w") as f:  # the answer goes INTO a fixed file
        f.write(answer)
    data = json.loads(answer)
    Path("out/result.json").write_text(json.dumps(data))
    return answer


@tool
def write_file(path: str, content: str) -> str:
    """Write a file in the workspace."""
    target = (BASE / path).resolve()
    if not target.is_relative_to(BASE):
        raise ValueError("outside the workspace")
    target.write_text(content)
    return "ok"


@tool
def save_upload(name: str, content: str) -> str:
    """Save under a bare file name."""
    with open(os.path.join("/srv/uploads", os.path.basename(name)), "w") as f:
        f.write(content)
    with open(os.path.join("/srv/uploads", secure_filename(name)), "w") as f:
        f.write(content)
    return "ok"


@tool
def read_note(name: str) -> str:
    """Read one of the known notes."""
    if name not in ALLOWED:
        return "unknown note"
    return Path("/srv/notes", name).read_text()


def _safe_path(p: str) -> Path:
    full = (BASE / p).resolve()
    if os.path.commonpath([full, BASE]) != str(BASE):
        raise ValueError(p)
    return full


@mcp.tool()
def read_file(path: str, ctx: Context) -> str:
    """Read a file."""
    log = open(ctx.request_id + ".log", "a")  # ctx is filled in by the framework
    log.close()
    return _safe_path(path).read_text()


def export(path, rows):
    with open(path, "w") as f:  # a plain function: its callers pass the app's own path
        f.write("\n".join(rows))


export("report.csv", ["a", "b"])
