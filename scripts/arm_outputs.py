"""Print deployment outputs as GitHub Actions step outputs, matching names case-insensitively.

Why a script: ARM does not keep the case of output names. `az deployment group create --query
properties.outputs` returns `FUNCTION_APP_NAME` as `functioN_APP_NAME` (Azure/azure-dev#512:
"ARM does not retain the case of output property names"; azd maps outputs case-insensitively),
so `jq .FUNCTION_APP_NAME.value` printed `null` and the package went to an app called "null".
deploy.yml and tests/infra/test_arm_outputs.py both run this file, so the test runs what CI runs.

    python scripts/arm_outputs.py OUTPUTS_JSON NAME [NAME ...] >> "$GITHUB_OUTPUT"

prints one `name=value` line per NAME (the name lower-cased), and exits 1 naming every NAME that
is missing, empty or not a string, so a deploy never goes on with a wrong target.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def read_outputs(outputs: Mapping[str, Any], names: Sequence[str]) -> dict[str, str]:
    """The string value of each wanted output, found whatever the case of its name."""
    by_name = {key.lower(): value for key, value in outputs.items()}
    found: dict[str, str] = {}
    problems: list[str] = []
    for name in names:
        entry = by_name.get(name.lower())
        value = entry.get("value") if isinstance(entry, Mapping) else None
        if not isinstance(value, str) or not value or "\n" in value:
            problems.append(name)
        else:
            found[name.lower()] = value
    if problems:
        raise KeyError(f"deployment outputs missing or not a one-line string: {problems}")
    return found


def main(argv: Sequence[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, *names = argv
    try:
        outputs = json.loads(Path(path).read_text(encoding="utf-8"))
        values = read_outputs(outputs, names)
    except (OSError, ValueError, KeyError, AttributeError) as error:
        print(f"arm_outputs: {error}", file=sys.stderr)
        return 1
    for name, value in values.items():
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
