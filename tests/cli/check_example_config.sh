#!/usr/bin/env bash
# herald check-config on the shipped example config, with every ${VAR} that has no default set
# to a placeholder (the example reads its secrets from the environment).
set -euo pipefail
herald="$1" config="$2"
vars=()
while read -r name; do vars+=("$name=placeholder-0123456789"); done < <(grep -o '\${[A-Za-z0-9_]*}' "$config" | tr -d '${}' | sort -u)
env "${vars[@]}" "$herald" check-config --config "$config" >/dev/null
