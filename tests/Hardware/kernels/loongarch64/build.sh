#!/bin/sh
# Builds the LoongArch64 checker kernel (docs/hardware-checks.md) with clang-19 and ld.lld-19 only.
# Usage: build.sh <output directory>; writes <output directory>/kernel.elf.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 <output directory>" >&2
    exit 2
fi
src=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out"
# Soft-float (the bare-metal triple then implies the lp64s ABI): the kernel never enables the FPU (EUEN = 0).
# No jump tables, as a table of absolute addresses is the one construct -mcmodel=medium does not make PC-relative.
cflags="--target=loongarch64-unknown-none -msoft-float -mcmodel=medium -fno-pic -ffreestanding \
-fno-builtin -fno-jump-tables -nostdlib -O2 -Wall -Werror"
clang-19 $cflags -c "$src/start.S" -o "$out/start.o"
clang-19 $cflags -c "$src/main.c" -o "$out/main.o"
ld.lld-19 -T "$src/kernel.ld" -o "$out/kernel.elf" "$out/start.o" "$out/main.o"
