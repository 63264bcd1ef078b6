#!/usr/bin/env bash
# The Function's deployment package as deploy.yml ships it: only what serving needs, the same
# files azd packs (the repository minus .funcignore); Flex Consumption's remote build installs
# requirements.txt. Azure/functions-action ignores .funcignore, hence an explicit list.
# Usage: scripts/package-function.sh DEST_DIR   (tests/infra/test_deploy_package.py runs it)
set -euo pipefail
dest="${1:?usage: scripts/package-function.sh DEST_DIR}"
cd "$(dirname "$0")/.."
mkdir -p "$dest"
cp -r function_app.py host.json requirements.txt tweet_sentiment model_artifacts "$dest/"
find "$dest" -name __pycache__ -type d -prune -exec rm -rf {} +
find "$dest" -name '*.pyc' -type f -delete
