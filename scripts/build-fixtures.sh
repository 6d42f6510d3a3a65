#!/bin/sh
# Rebuild the committed BPF objects from their C sources with Debian's clang.
#   scripts/build-fixtures.sh           rewrite test/fixtures/*-el.o, *-eb.o and examples/*.o
#   scripts/build-fixtures.sh --check   rebuild into a temporary folder; exit 1 if any differs
# Builds are reproducible: compiled from inside the source folder with relative file names,
# and the DWARF compilation directory set to ".", so no absolute path reaches the objects.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLANG=${CLANG:-clang-14}
FLAGS="-O2 -g -mcpu=v3 -I/usr/include/x86_64-linux-gnu -fdebug-compilation-dir=. -fdebug-prefix-map=$ROOT=."
# Fixtures also built big-endian.
BIG="xdp_parser calls globals maps_btf selftest"
CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1
OUT=$ROOT
if [ $CHECK = 1 ]; then OUT=$(mktemp -d); mkdir -p "$OUT/test/fixtures" "$OUT/examples"; trap 'rm -rf "$OUT"' EXIT; fi

build() { # dir name target suffix
	(cd "$ROOT/$1" && $CLANG $FLAGS -target "$3" -c "$2.c" -o "$OUT/$1/$2$4.o")
}

for c in "$ROOT"/test/fixtures/*.c; do
	n=$(basename "$c" .c)
	build test/fixtures "$n" bpfel -el
	case " $BIG " in *" $n "*) build test/fixtures "$n" bpfeb -eb ;; esac
done
build examples firewall bpfel ""
# Kernel-oracle fixtures (test/host/kernel-run.test.ts), little-endian only.
[ $CHECK = 1 ] && mkdir -p "$OUT/test/fixtures/kernel"
for c in "$ROOT"/test/fixtures/kernel/*.c; do build test/fixtures/kernel "$(basename "$c" .c)" bpfel -el; done

if [ $CHECK = 1 ]; then
	status=0
	for o in "$OUT"/test/fixtures/*.o "$OUT"/examples/*.o; do
		rel=${o#"$OUT"/}
		if ! cmp -s "$o" "$ROOT/$rel"; then echo "differs: $rel"; status=1; fi
	done
	for o in "$OUT"/test/fixtures/kernel/*.o; do rel=${o#"$OUT"/}; if ! cmp -s "$o" "$ROOT/$rel"; then echo "differs: $rel"; status=1; fi; done
	[ $status = 0 ] && echo "all objects match their sources"
	exit $status
fi
echo "rebuilt $(ls "$ROOT"/test/fixtures/*.o | wc -l) fixtures and examples/firewall.o"
