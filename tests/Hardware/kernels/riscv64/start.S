/* Checker kernel for RISC-V Sv39/Sv48: entry, trap handler, and the check runner.
 * Protocol: docs/hardware-checks.md. S-mode, entered by OpenSBI (-bios default) with a0 = hart id.
 * RISC-V Privileged Architecture, Supervisor-Level ISA: sstatus (SPP, SIE), stvec, scause, stval, sepc, sret. */

    .section .text.start, "ax"
    .globl _start
_start:
    la      sp, stack_top
    la      t0, trap_entry
    csrw    stvec, t0               /* direct mode: every trap enters trap_entry */
    csrw    sie, zero               /* no interrupts, in S-mode or U-mode */
    csrci   sstatus, 2              /* SIE = 0 */
    call    kmain
1:  wfi
    j       1b

/* long run_check(u64 va, u64 access, u64 privilege, u64 value)
 * Returns 0 with the result in check_value, or 1 with check_cause / check_tval after a trap.
 * Saves the callee-saved registers so the trap handler can resume here after any fault. */
    .text
    .globl run_check
run_check:
    la      t0, check_jmp
    sd      ra, 0(t0)
    sd      sp, 8(t0)
    sd      s0, 16(t0)
    sd      s1, 24(t0)
    sd      s2, 32(t0)
    sd      s3, 40(t0)
    sd      s4, 48(t0)
    sd      s5, 56(t0)
    sd      s6, 64(t0)
    sd      s7, 72(t0)
    sd      s8, 80(t0)
    sd      s9, 88(t0)
    sd      s10, 96(t0)
    sd      s11, 104(t0)
    li      t1, 1
    la      t0, in_check
    sd      t1, 0(t0)
    bnez    a2, 2f
    /* supervisor: the access itself */
    mv      a2, a3
    call    do_access
    la      t0, check_value
    sd      a0, 0(t0)
    li      a0, 0
    j       resume
2:  /* user: sret into the user page with SPP = 0, SPIE = 0 */
    li      t0, 0x120               /* SPP (bit 8) | SPIE (bit 5) */
    csrc    sstatus, t0
    la      t0, user_entry
    csrw    sepc, t0
    mv      a2, a3
    sret

/* The access in a0 (va), a1 (0 load, 1 store, 2 fetch), a2 (value); result in a0. */
do_access:
    beqz    a1, 3f
    li      t0, 1
    beq     a1, t0, 4f
    addi    sp, sp, -16
    sd      ra, 0(sp)
    jalr    ra, 0(a0)               /* fetch: call the stub, it returns V in a0 */
    ld      ra, 0(sp)
    addi    sp, sp, 16
    ret
3:  ld      a0, 0(a0)
    ret
4:  sd      a2, 0(a0)
    mv      a0, a2
    ret

/* Any trap: ecall from U-mode (scause 8) ends a user check with a0 as its result; anything else is a fault. */
    .align  4
trap_entry:
    la      t0, in_check
    ld      t1, 0(t0)
    beqz    t1, unexpected
    csrr    t0, scause
    li      t1, 8
    bne     t0, t1, 5f
    la      t0, check_value
    sd      a0, 0(t0)
    li      a0, 0
    j       resume
5:  la      t1, check_cause
    sd      t0, 0(t1)
    csrr    t0, stval
    la      t1, check_tval
    sd      t0, 0(t1)
    li      a0, 1
resume:
    la      t0, in_check
    sd      zero, 0(t0)
    la      t0, check_jmp
    ld      ra, 0(t0)
    ld      sp, 8(t0)
    ld      s0, 16(t0)
    ld      s1, 24(t0)
    ld      s2, 32(t0)
    ld      s3, 40(t0)
    ld      s4, 48(t0)
    ld      s5, 56(t0)
    ld      s6, 64(t0)
    ld      s7, 72(t0)
    ld      s8, 80(t0)
    ld      s9, 88(t0)
    ld      s10, 96(t0)
    ld      s11, 104(t0)
    ret
unexpected:
    la      sp, stack_top
    csrr    a0, scause
    csrr    a1, stval
    csrr    a2, sepc
    call    unexpected_trap
6:  wfi
    j       6b

/* The user page (docs/hardware-checks.md section 4): a0 = va, a1 = access, a2 = value; ecall with the result. */
    .section .user, "ax"
    .globl user_entry
user_entry:
    beqz    a1, 7f
    li      t0, 1
    beq     a1, t0, 8f
    jalr    ra, 0(a0)
    ecall
7:  ld      a0, 0(a0)
    ecall
8:  sd      a2, 0(a0)
    mv      a0, a2
    ecall

    .bss
    .align  4
check_jmp:   .space 112
in_check:    .space 8
    .globl check_value, check_cause, check_tval
check_value: .space 8
check_cause: .space 8
check_tval:  .space 8
    .align  12
    .space  0x4000
stack_top:
