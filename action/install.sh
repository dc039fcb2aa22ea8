#!/usr/bin/env bash
# Install psconfig from a checkout of this repository into a virtual environment of
# its own, every dependency pinned by hash. Used by action.yml, `make install` and
# the Dockerfile, so all three install exactly the same thing.
#
#   PSCONFIG_SOURCE  the checkout (pyproject.toml, requirements.lock, psconfig/)
#   PSCONFIG_VENV    the virtual environment to create (reused when it already
#                    holds this checkout's install)
#   PSCONFIG_PYTHON  the interpreter to build it from (default: python3, 3.11+)
#
# Nothing comes from a registry by name alone: the dependencies are installed with
# --require-hashes from requirements.lock (wheels only, so no package's build code
# runs), and psconfig itself is built from the checkout with the locked build
# backend and no index at all.
set -euo pipefail

source_dir="${PSCONFIG_SOURCE:?PSCONFIG_SOURCE: the psconfig checkout to install}"
venv="${PSCONFIG_VENV:?PSCONFIG_VENV: where to create the virtual environment}"
python="${PSCONFIG_PYTHON:-python3}"
lock="$source_dir/requirements.lock"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "::error title=psconfig install::psconfig needs Python 3.11 or later as '$python' (actions/setup-python can provide it)" >&2
  exit 1
fi

# The same checkout and lock installed earlier in this job: reuse it.
key="$(sha256sum "$lock" | cut -d' ' -f1) $source_dir"
stamp="$venv/.psconfig-install"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && [ -x "$venv/bin/psconfig" ]; then
  echo "psconfig is already installed in $venv"
else
  "$python" -m venv --clear "$venv"
  pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input --quiet)
  "${pip[@]}" install --require-hashes --no-deps --only-binary :all: -r "$lock"
  "${pip[@]}" install --no-deps --no-index --no-build-isolation "$source_dir"
  # --no-deps above trusts the lock to be complete; pip check proves it.
  "${pip[@]}" check
  printf '%s\n' "$key" > "$stamp"
fi

version="$("$venv/bin/psconfig" --version)"
echo "$version from $source_dir in $venv"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "psconfig=$venv/bin/psconfig"
    echo "version=${version##* }"
  } >> "$GITHUB_OUTPUT"
fi
