"""Where a script's runs go: where the GenLab extension looks for them."""

import json
import os
import re

DEFAULT_RUNS_DIRECTORY = os.path.join(".genlab", "runs")
# What marks a workspace folder: VS Code's settings, a repository, GenLab's own folder.
WORKSPACE_MARKERS = (".vscode", ".git", ".genlab")


def _strip_jsonc(text):
    """settings.json is JSON with comments and trailing commas."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def _setting(folder):
    """genlab.runsDirectory from the folder's .vscode/settings.json, if it sets one."""
    try:
        with open(os.path.join(folder, ".vscode", "settings.json"), encoding="utf-8") as f:
            value = json.loads(_strip_jsonc(f.read())).get("genlab.runsDirectory")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value.strip() else None


def workspace_folder(start):
    """The nearest folder at or above `start` that looks like a workspace folder, else `start`."""
    folder = os.path.abspath(start)
    while True:
        if any(os.path.exists(os.path.join(folder, m)) for m in WORKSPACE_MARKERS):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return os.path.abspath(start)
        folder = parent


def runs_root(explicit=None, cwd=None):
    """
    An explicit folder; else GENLAB_RUNS_DIR (which the extension sets in VS Code's terminals to
    the folder it shows); else the workspace folder's genlab.runsDirectory setting, resolved
    against that folder; else .genlab/runs in it.
    """
    if explicit is not None:
        return os.path.abspath(os.fspath(explicit))
    from_env = os.environ.get("GENLAB_RUNS_DIR")
    if from_env:
        return os.path.abspath(from_env)
    folder = workspace_folder(cwd or os.getcwd())
    return os.path.abspath(os.path.join(folder, _setting(folder) or DEFAULT_RUNS_DIRECTORY))
