#!/bin/sh
# Builds the AArch64 checker kernel (docs/hardware-checks.md) with clang-19 and ld.lld-19.
# Usage: build.sh <output directory>; writes <output directory>/kernel.elf.
set -eu
if [ "$#" -ne 1 ]; then
    echo "usage: $0 <output directory>" >&2
    exit 2
fi
src=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out"
# -mgeneral-regs-only: no FP/SIMD register use (CPACR_EL1.FPEN is never set up);
# -mstrict-align: no unaligned accesses, which fault on Device memory (all data accesses before the MMU is on).
flags="--target=aarch64-unknown-elf -mcpu=cortex-a72 -mgeneral-regs-only -mstrict-align -ffreestanding \
-fno-builtin -nostdlib -fno-pic -fno-stack-protector -O2 -Wall -Wextra -Werror"
clang-19 $flags -c "$src/start.S" -o "$out/start.o"
clang-19 $flags -c "$src/main.c" -o "$out/main.o"
ld.lld-19 -T "$src/kernel.ld" --no-pie -o "$out/kernel.elf" "$out/start.o" "$out/main.o"
