#!/usr/bin/env bash
# `make run`: serve the committed model on http://127.0.0.1:8000 with feedback going to a local
# Azurite (started here in the background, data under .azurite/, stopped on exit).
# Everything else uses the embedded defaults of tweet_sentiment/config.py; override with the
# same environment variables as in Azure (MODEL_DIR, FEEDBACK_CONTAINER, ...). HOST, PORT and
# AZURITE_DIR (Azurite's data directory) too.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
PYTHON="${PYTHON:-.venv/bin/python}"
DATA="${AZURITE_DIR:-.azurite}"
AZURITE_PID=""
SERVER_PID=""

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true
  if [[ -n "$AZURITE_PID" ]]; then
    kill "$AZURITE_PID" 2>/dev/null || true
    wait "$AZURITE_PID" 2>/dev/null || true
    echo "Azurite stopped."
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if port_open 10000; then
  echo "Something already listens on 127.0.0.1:10000; using it as Azurite."
else
  mkdir -p "$DATA"
  node_modules/.bin/azurite --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --location "$DATA" --skipApiVersionCheck --disableTelemetry --silent \
    >"$DATA/azurite.log" 2>&1 &
  AZURITE_PID=$!
  for _ in $(seq 1 100); do
    port_open 10000 && break
    kill -0 "$AZURITE_PID" 2>/dev/null || { cat "$DATA/azurite.log"; exit 1; }
    sleep 0.1
  done
  port_open 10000 || { echo "Azurite did not start (see $DATA/azurite.log)"; exit 1; }
  echo "Azurite (pid $AZURITE_PID) on 127.0.0.1:10000, data in $DATA/"
fi

echo "Serving on http://$HOST:$PORT/  (API docs: http://$HOST:$PORT/api/docs; Ctrl-C stops)"
"$PYTHON" -m tweet_sentiment serve --host "$HOST" --port "$PORT" &
SERVER_PID=$!
wait "$SERVER_PID"
