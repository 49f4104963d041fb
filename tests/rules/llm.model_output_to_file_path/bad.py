"""An agent whose tools read, write and delete files at paths the model chooses."""
import json
import os
import shutil
from pathlib import Path

from agents import function_tool
from anthropic import Anthropic
from langchain_core.tools import StructuredTool, tool
from llama_index.core.tools import FunctionTool
from mcp.server.fastmcp import FastMCP
from openai import OpenAI

client = OpenAI()
claude = Anthropic()
mcp = FastMCP("files")
WORKDIR = "/srv/workspace"


def run_openai(question):
    resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}], tools=[])
    for call in resp.choices[0].message.tool_calls or []:
        args = json.loads(call.function.arguments)
        if call.function.name == "save":
            with open(args["path"], "w") as f:  # expect: llm.model_output_to_file_path
                f.write(args["content"])
        elif call.function.name == "remove":
            os.remove(os.path.join(WORKDIR, args.get("name")))  # expect: llm.model_output_to_file_path


def run_claude(question):
    msg = claude.messages.create(model="claude-3-5-sonnet-20241022", max_tokens=1024,
                                 messages=[{"role": "user", "content": question}], tools=[])
    for block in msg.content:
        if block.type == "tool_use":
            Path(block.input["path"]).write_text(block.input["content"])  # expect: llm.model_output_to_file_path


@tool
def write_file(path: str, content: str) -> str:
    """Write a file in the workspace."""
    with open(os.path.join(WORKDIR, path), "w") as f:  # expect: llm.model_output_to_file_path
        f.write(content)
    return "ok"


@mcp.tool()
def read_file(path: str) -> str:
    """Read a file."""
    return Path(path).read_text()  # expect: llm.model_output_to_file_path


@function_tool
def delete_folder(folder: str) -> str:
    shutil.rmtree(folder)  # expect: llm.model_output_to_file_path
    return "deleted"


def _append(target, text):
    with open(target, "a") as f:  # expect: llm.model_output_to_file_path
        f.write(text)


def save_note(filename: str, text: str) -> str:
    _append(f"notes/{filename}", text)
    return "saved"


notes = StructuredTool.from_function(func=save_note, name="save_note", description="Save a note")


def make_dir(name: str) -> str:
    os.makedirs(name, exist_ok=True)  # expect: llm.model_output_to_file_path
    return name


mkdir_tool = FunctionTool.from_defaults(fn=make_dir)


def load(path):
    with open(path) as f:  # expect: llm.model_output_to_file_path
        return f.read()


FUNCTIONS = {"load": load}


def dispatch(question):
    resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}], tools=[])
    call = resp.choices[0].message.tool_calls[0]
    args = json.loads(call.function.arguments)
    return FUNCTIONS[call.function.name](**args)
