#!/bin/sh
# Build the benchmark programs in bench/progs/*.c into committed objects bench/progs/*.o.
#   bench/build.sh           rewrite the objects
#   bench/build.sh --check   rebuild into a temporary folder; exit 1 if any differs
# Reproducible as scripts/build-fixtures.sh: built from inside the folder with relative names
# and the DWARF compilation directory set to ".".
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLANG=${CLANG:-clang-14}
FLAGS="-O2 -g -target bpfel -mcpu=v3 -I/usr/include/x86_64-linux-gnu -fdebug-compilation-dir=. -fdebug-prefix-map=$ROOT=."
CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1
OUT=$ROOT/bench/progs
if [ $CHECK = 1 ]; then OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT; fi
for c in "$ROOT"/bench/progs/*.c; do
	n=$(basename "$c" .c)
	(cd "$ROOT/bench/progs" && $CLANG $FLAGS -c "$n.c" -o "$OUT/$n.o")
done
if [ $CHECK = 1 ]; then
	status=0
	for o in "$OUT"/*.o; do
		if ! cmp -s "$o" "$ROOT/bench/progs/$(basename "$o")"; then echo "differs: bench/progs/$(basename "$o")"; status=1; fi
	done
	[ $status = 0 ] && echo "all benchmark objects match their sources"
	exit $status
fi
echo "built $(ls "$ROOT"/bench/progs/*.o | wc -l) benchmark objects"
