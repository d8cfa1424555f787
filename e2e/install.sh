#!/usr/bin/env bash
# Installs what the end-to-end harness needs, offline but for the package registries:
#   - Debian packages: chromium (the browser Playwright drives), libkrb5-dev (code-server's
#     `kerberos` module compiles against it), ripgrep (fed to @vscode/ripgrep, see below), and the
#     build tools node-gyp needs for code-server's native modules;
#   - e2e/node_modules from e2e/package-lock.json: code-server 4.100.3 (VS Code 1.100.3 with a
#     Node extension host) and playwright-core.
# Idempotent: each step is skipped when already done, so a second run takes about a second.
# Works as root with CI=true and no stdin. See shared/guides/e2e-code-server.md.
set -euo pipefail
cd "$(dirname "$0")"
E2E="$(pwd)"
WORK="$E2E/.work"
mkdir -p "$WORK"

log() { echo "[e2e/install] $*"; }

# --- OS packages ---------------------------------------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  SUDO=()
  [[ $(id -u) -eq 0 ]] || SUDO=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" </dev/null >"$WORK/apt.log" 2>&1 \
    || { tail -40 "$WORK/apt.log"; exit 1; }
else
  log "OS packages present"
fi

# --- npm packages --------------------------------------------------------------------------------
# The stamp records the lockfile and Node it was installed from; it is written only after a
# complete, checked install, so an interrupted install is redone.
stamp_file="node_modules/.genlab-e2e-stamp"
want_stamp="$(sha256sum package-lock.json | cut -d' ' -f1) node-$(node --version)"
if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$want_stamp" ]]; then
  log "node_modules up to date"
  exit 0
fi

# @vscode/ripgrep (installed by code-server's postinstall inside lib/vscode) downloads its binary
# from GitHub unless it finds this tarball in its cache under $TMPDIR. Debian's rg, at the
# archive root, stands in for it. The versions are those code-server 4.100.3 pins.
install_tmp="$WORK/install-tmp"
rg_cache="$install_tmp/vscode-ripgrep-cache-1.15.11"
rg_tarball="$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
mkdir -p "$rg_cache"
if [[ ! -s "$rg_tarball" ]]; then
  tar -C "$(dirname "$(command -v rg)")" -czf "$rg_tarball" rg
fi

# node-gyp (argon2, kerberos, node-pty) would download Node's headers from nodejs.org, which is
# unreachable: point it at the headers installed beside this Node (this machine's ~/.npmrc already
# sets nodedir=/usr; this covers a machine without it).
node_prefix="$(dirname "$(dirname "$(node -p process.execPath)")")"
if [[ -z "${npm_config_nodedir:-}" && -f "$node_prefix/include/node/node.h" ]]; then
  export npm_config_nodedir="$node_prefix"
fi

log "npm ci (code-server compiles native modules: about 1.5 min)"
# code-server's postinstall refuses to run as root without unsafe_perm, and its node-pty step runs
# `npx node-gyp`, which would prompt without yes=true. Both are set for this install only.
TMPDIR="$install_tmp" npm_config_unsafe_perm=true npm_config_yes=true \
  npm ci --no-audit --no-fund </dev/null >"$WORK/npm-ci.log" 2>&1 \
  || { tail -60 "$WORK/npm-ci.log"; log "npm ci failed; full log: $WORK/npm-ci.log"; exit 1; }

# Check what the postinstall steps should have produced: a silent failure there shows up only
# later as a workbench without search or terminals.
for f in node_modules/code-server/out/node/entry.js \
         node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg \
         node_modules/playwright-core/package.json; do
  [[ -e "$f" ]] || { log "missing after npm ci: $f (log: $WORK/npm-ci.log)"; exit 1; }
done
echo "$want_stamp" >"$stamp_file"
log "done: code-server $(node -p 'require("./node_modules/code-server/package.json").version'), playwright-core $(node -p 'require("./node_modules/playwright-core/package.json").version'), $(chromium --version)"
