"""Derive a faster variant of rules/ for the speed measurement (engine trial, option a).

    python benchmarks/engine_trial/semgrep/make_fast_rules.py [--out /tmp/semgrep-rules-fast]
    .venv/bin/python benchmarks/engine_trial/semgrep/measure.py --rules /tmp/semgrep-rules-fast ...

semgrep skips a rule on a file that lacks the rule's literal strings (its "prefilter"). The taint
rules of rules/ name their sources with metavariables and a regex ($CTOR(...) where $CTOR matches
^(OpenAI|Anthropic|Chat...)$), and accept any function of the file that builds a model, or any
parameter annotated with a model class: nothing literal, so they run on every file (about 40 ms
per 100-line Python file on this machine, most of the time of a scan).

This script writes the same rules with, in the two taint rules only:
- the constructor regex expanded into literal patterns (OpenAI(...), $M.OpenAI(...), ...), the
  regex's open-ended parts (Chat[A-Z]\\w*, create_\\w+_agent, <Provider>Embeddings) replaced by the
  class names listed below;
- the "function of this file that builds a model" and "annotated parameter" sources removed
  (measure.py's second pass adds the file's model-building functions as sources; annotated
  parameters are lost).
Everything else is copied unchanged. The result is what a generator from a knowledge file would
emit; the difference in recall and time between rules/ and this variant is the price of the
generic sources.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

OPEN_ENDED = {
    "Chat": ["ChatOpenAI", "ChatAnthropic", "ChatOllama", "ChatGroq", "ChatMistralAI", "ChatCohere",
             "ChatGoogleGenerativeAI", "ChatVertexAI", "ChatBedrock", "ChatBedrockConverse", "ChatTogether",
             "ChatFireworks", "ChatDeepSeek", "ChatXAI", "ChatLiteLLM", "ChatHuggingFace", "ChatPerplexity"],
    "create_": ["create_react_agent", "create_openai_functions_agent", "create_openai_tools_agent",
                "create_tool_calling_agent", "create_sql_agent", "create_pandas_dataframe_agent",
                "create_csv_agent", "create_structured_chat_agent", "create_json_chat_agent",
                "create_retrieval_chain", "create_stuff_documents_chain", "create_history_aware_retriever",
                "create_sql_query_chain"],
    "\\w+Embeddings": ["OpenAIEmbeddings", "AzureOpenAIEmbeddings", "CohereEmbeddings", "OllamaEmbeddings",
                       "BedrockEmbeddings", "VertexAIEmbeddings", "GoogleGenerativeAIEmbeddings",
                       "MistralAIEmbeddings", "VoyageEmbeddings", "JinaEmbeddings", "TogetherAIEmbeddings",
                       "HuggingFaceInferenceEmbeddings"],
}


def alternatives(regex: str) -> list[str]:
    """^(A|B|(X|Y)Embeddings?|Chat(?!..)[A-Z]\\w*)$ -> class names."""
    body = regex.strip()[2:-2]
    parts, depth, cur = [], 0, ""
    for ch in body:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "|" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    names: list[str] = []
    for part in parts:
        if re.fullmatch(r"\w+", part):
            names.append(part)
        elif part.startswith("Chat("):
            names += OPEN_ENDED["Chat"]
        elif part.startswith("create_"):
            names += OPEN_ENDED["create_"]
        elif part == "\\w+Embeddings":
            names += OPEN_ENDED["\\w+Embeddings"]
        elif part.startswith("(") and "Embedding" in part:
            provs = part[1:part.index(")")].split("|")
            names += [f"{p}Embeddings" for p in provs] + [f"{p}Embedding" for p in provs]
        else:
            raise SystemExit(f"cannot expand {part!r}")
    return sorted(set(names))


def literal_sources(source: dict, new: bool) -> dict:
    """A ctor source (pattern-either of $CTOR shapes + metavariable-regex) -> literal patterns."""
    pats = source["patterns"]
    regex = next(p["metavariable-regex"]["regex"] for p in pats if "metavariable-regex" in p)
    shapes = ["new {n}(...)", "new $MOD.{n}(...)", "{n}.$FACTORY(...)"] if new else \
        ["{n}(...)", "$MOD.{n}(...)", "{n}.$FACTORY(...)", "$MOD.{n}.$FACTORY(...)"]
    if any(p.get("pattern-either") is None and p.get("pattern", "").startswith("$F(") for p in pats):
        shapes = ["{n}(...)"]
    either = [{"pattern": s.format(n=n)} for n in alternatives(regex) for s in shapes]
    return {"exact": True, "pattern-either": either}


def is_ctor_source(src: dict) -> bool:
    return any("metavariable-regex" in p and p["metavariable-regex"]["metavariable"] in ("$CTOR", "$F")
               for p in src.get("patterns") or [])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/semgrep-rules-fast"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted((HERE / "rules").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))  # anchors resolved
        for rule in data["rules"]:
            if rule.get("mode") != "taint" or rule["id"].startswith("py-session"):
                continue
            new = "javascript" in rule["languages"]
            kept = []
            for src in rule["pattern-sources"]:
                if "pattern-inside" in str(src):
                    continue  # helper-function / annotated-parameter source: dropped
                if is_ctor_source(src):
                    kept.append(literal_sources(src, new))
                else:
                    kept.append(src)  # already literal (anthropic.Client(...), RunnableSequence.from)
            rule["pattern-sources"] = kept
        out = args.out / path.name
        out.write_text("# generated by make_fast_rules.py from rules/" + path.name + " - do not edit\n"
                       + yaml.safe_dump({"rules": data["rules"]}, sort_keys=False, allow_unicode=True),
                       encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
