#!/usr/bin/env bash
# Slims the working tree a GPU machine's `run` tool copies (tracked files + untracked files
# git does not ignore, at most 64 MiB with the carried part) to a few MiB: every tracked
# *.onnx stops being tracked, and is ignored, while the files stay where they are.
#   bash bench/gpu-slim.sh on       git rm --cached every tracked *.onnx (names kept in .gpu-stage/slim-list)
#   bash bench/gpu-slim.sh off      git add them again, drop the ignore rules: the index as it was
#   bash bench/gpu-slim.sh status   says which state the checkout is in (exit 0 off, 10 on)
# Ignoring: the paths go into .git/info/exclude, but .gitignore's `!models/*.onnx` and
# `!packages/models-*/models/*.onnx` outrank info/exclude, so each folder holding a listed
# file also gets a .gitignore of its own (listing those files and itself; removed by `off`).
# While it is on, NOTHING may be committed from the shared index: the commit would delete
# the models. A pre-commit hook (installed where there is none) refuses such a commit.
set -euo pipefail
cd "$(dirname "$0")/.."
GITDIR=$(git rev-parse --git-dir)
LIST=.gpu-stage/slim-list
DIRS=.gpu-stage/slim-dirs
EXCLUDE=$GITDIR/info/exclude
HOOK=$GITDIR/hooks/pre-commit
BEGIN='# >>> bench/gpu-slim.sh (remove with: bash bench/gpu-slim.sh off)'
END='# <<< bench/gpu-slim.sh'
MARK='# bench/gpu-slim.sh: remove with bash bench/gpu-slim.sh off'

warn() {
  cat >&2 <<'EOF'
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  gpu-slim is ON: the *.onnx files are NOT in the index.                     !!
!!  Commit NOTHING from this checkout until `bash bench/gpu-slim.sh off`:      !!
!!  a commit now deletes the models from the repository.                        !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
EOF
}
tree_bytes() { # what the run tool copies: tracked + untracked-not-ignored
  git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1
}
drop_exclude() {
  [ -f "$EXCLUDE" ] || return 0
  sed -i "/^$(printf '%s' "$BEGIN" | sed 's/[][\/.*^$]/\\&/g')\$/,/^$(printf '%s' "$END" | sed 's/[][\/.*^$]/\\&/g')\$/d" "$EXCLUDE"
}
off() {
  if [ -f "$DIRS" ]; then
    while IFS= read -r d; do
      if [ -f "$d/.gitignore" ] && head -1 "$d/.gitignore" | grep -qxF "$MARK"; then rm -f "$d/.gitignore"; fi
    done <"$DIRS"
  fi
  drop_exclude
  if [ -f "$HOOK" ] && grep -qF "$MARK" "$HOOK"; then rm -f "$HOOK"; fi
  if [ -f "$LIST" ]; then
    mapfile -t files <"$LIST"
    [ ${#files[@]} -eq 0 ] || git add -f -- "${files[@]}"
    rm -f "$LIST" "$DIRS"
  fi
}

case "${1:-status}" in
  status)
    if [ -f "$LIST" ]; then
      echo "gpu-slim: ON ($(wc -l <"$LIST") *.onnx files untracked; tree the run tool copies: $(($(tree_bytes) / 1024)) KiB)"
      warn
      exit 10
    fi
    echo "gpu-slim: off (tree the run tool copies: $(($(tree_bytes) / 1048576)) MiB)"
    ;;
  on)
    [ ! -f "$LIST" ] || { echo "gpu-slim: already on ($LIST exists)" >&2; warn; exit 1; }
    git diff --cached --quiet || { echo "gpu-slim: the index has staged changes; commit or unstage them first (git diff --cached --stat)" >&2; exit 1; }
    mapfile -t files < <(git ls-files -- '*.onnx')
    [ ${#files[@]} -gt 0 ] || { echo "gpu-slim: no tracked *.onnx" >&2; exit 1; }
    mapfile -t dirs < <(printf '%s\n' "${files[@]}" | xargs -d '\n' -n1 dirname | sort -u)
    for d in "${dirs[@]}"; do
      [ ! -e "$d/.gitignore" ] || { echo "gpu-slim: $d/.gitignore exists; cannot add the folder's own ignore rules" >&2; exit 1; }
    done
    mkdir -p .gpu-stage "$(dirname "$EXCLUDE")"
    printf '%s\n' "${files[@]}" >"$LIST"
    printf '%s\n' "${dirs[@]}" >"$DIRS"
    trap 'echo "gpu-slim: failed; restoring" >&2; off' ERR
    git rm -q --cached -- "${files[@]}"
    { echo "$BEGIN"; printf '/%s\n' "${files[@]}"; echo "$END"; } >>"$EXCLUDE"
    for d in "${dirs[@]}"; do
      { echo "$MARK"; echo '/.gitignore'; printf '%s\n' "${files[@]}" | while IFS= read -r f; do if [ "$(dirname "$f")" = "$d" ]; then echo "/$(basename "$f")"; fi; done; } >"$d/.gitignore"
    done
    if [ ! -e "$HOOK" ]; then
      mkdir -p "$(dirname "$HOOK")"
      cat >"$HOOK" <<EOF
#!/bin/sh
$MARK
# refuses a commit that deletes a file bench/gpu-slim.sh untracked
[ -f .gpu-stage/slim-list ] || exit 0
if git diff --cached --name-only --diff-filter=D | grep -qxFf .gpu-stage/slim-list; then
  echo "pre-commit: bench/gpu-slim.sh is on; this commit would delete the models. Run: bash bench/gpu-slim.sh off" >&2
  exit 1
fi
EOF
      chmod +x "$HOOK"
    fi
    left=$(git ls-files --cached --others --exclude-standard -- '*.onnx' | head -3)
    if [ -n "$left" ]; then echo "gpu-slim: still copied: $left" >&2; false; fi
    trap - ERR
    echo "gpu-slim: ON: ${#files[@]} *.onnx files untracked and ignored (list: $LIST); tree the run tool copies: $(($(tree_bytes) / 1024)) KiB"
    warn
    ;;
  off)
    [ -f "$LIST" ] || { echo "gpu-slim: not on"; exit 0; }
    off
    echo "gpu-slim: off: the *.onnx files are tracked again"
    git status --short -- '*.onnx' '*.gitignore' | head
    ;;
  *) echo "usage: bash bench/gpu-slim.sh on|off|status" >&2; exit 2 ;;
esac
