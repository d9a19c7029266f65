#!/usr/bin/env bash
# A newcomer's first builds, timed: `cargo build --release`, then
# `cargo build`, each from an empty CARGO_HOME (so crates are downloaded
# too) and an empty target folder, in a copy of the given commit.
# Run it on an otherwise idle machine; it prints each build's seconds, its
# target folder's size and the server binary's size.
#
#   bench/cold-build.sh [COMMIT [PROFILE…]]   (default HEAD, release debug)
set -euo pipefail
commit=${1:-HEAD}
shift || true
profiles=("$@")
[ ${#profiles[@]} -eq 0 ] && profiles=(release debug)
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/madang-cold.XXXXXX)
trap 'rm -rf "$work"' EXIT
git -C "$root" archive "$commit" | tar -x -C "$work" --one-top-level=src
cd "$work/src"
echo "cold builds of $(git -C "$root" rev-parse --short "$commit") in $work"
for profile in "${profiles[@]}"; do
  export CARGO_HOME="$work/home-$profile" CARGO_TARGET_DIR="$work/target-$profile"
  flags=(); [ "$profile" = release ] && flags=(--release)
  start=$(date +%s)
  cargo build "${flags[@]}" 2>&1 | grep --line-buffered -E "^\s+(Compiling|Finished)|^error" | awk '{printf "\r%-60.60s", $0; fflush()}'
  secs=$(( $(date +%s) - start ))
  echo
  size=$(du -sh "$CARGO_TARGET_DIR" | cut -f1)
  bin=$(du -h "$CARGO_TARGET_DIR/$profile/madang" | cut -f1)
  echo "cargo build ${flags[*]}: ${secs} s ($((secs / 60)) min $((secs % 60)) s), target $size, madang $bin"
done
