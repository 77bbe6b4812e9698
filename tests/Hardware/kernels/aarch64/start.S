/* Checker kernel for AArch64: entry, exception vectors, MMU control and the check runner.
 * Protocol: docs/hardware-checks.md (sections 2-4, "AArch64"). QEMU's virt machine enters the ELF entry at
 * EL1 with the MMU off. References are to the Arm ARM, DDI 0487:
 *   D1 (AArch64 exception model: exception levels, vector table at VBAR_EL1, exception entry, ERET),
 *   D8 (VMSAv8-64 translation, TLB maintenance), B2 (barriers DSB/ISB), C6 (A64 instructions),
 *   D17.2 (system registers: SCTLR_EL1, TCR_EL1, MAIR_EL1, TTBRn_EL1, ESR_EL1, FAR_EL1, ELR_EL1, SPSR_EL1). */

    .equ    SCTLR_M,    (1 << 0)        /* stage 1 translation on */
    .equ    SCTLR_A,    (1 << 1)        /* alignment checking */
    .equ    SCTLR_C,    (1 << 2)        /* data accesses cacheable */
    .equ    SCTLR_I,    (1 << 12)       /* instruction fetches cacheable */
    .equ    SCTLR_WXN,  (1 << 19)       /* writable implies never-execute */
    .equ    SCTLR_SPAN, (1 << 23)       /* 1: exception entry leaves PSTATE.PAN unchanged */
    .equ    SPSR_EL1H_MASKED, 0x3c5     /* D, A, I, F masked, EL1 with SP_EL1 (D1, SPSR_EL1.M = 0b0101) */
    .equ    EC_SVC64,   0x15            /* ESR_EL1.EC of an SVC from AArch64 */
    .equ    PSCI_SYSTEM_OFF, 0x84000008 /* Arm DEN 0022 (PSCI), SYSTEM_OFF, SMC32/HVC32 function id */

    .section .text.start, "ax"
    .globl  _start
_start:
    /* CurrentEL bits 3:2 = 1: EL1 (D17.2, CurrentEL). Anything else is reported by kmain. */
    mrs     x19, CurrentEL
    ubfx    x19, x19, #2, #2
    msr     daifset, #0xf               /* no interrupts while the kernel runs (D1, PSTATE.DAIF) */
    msr     spsel, #1                   /* the kernel's stack is SP_EL1 */
    adrp    x0, stack_top
    add     x0, x0, :lo12:stack_top
    mov     sp, x0
    adrp    x0, vectors
    add     x0, x0, :lo12:vectors
    msr     vbar_el1, x0
    isb
    mov     x0, x19
    bl      kmain
    b       halt

/* void power_off(void): PSCI SYSTEM_OFF through the HVC conduit (QEMU's virt machine implements PSCI
 * itself with the HVC conduit when it starts the guest at EL1). Spins if the call returns. */
    .text
    .globl  power_off
power_off:
    adrp    x1, stopping
    mov     x2, #1
    str     x2, [x1, :lo12:stopping]
    ldr     x0, =PSCI_SYSTEM_OFF
    hvc     #0
    .globl  halt
halt:
    wfi
    b       halt

/* void mmu_on(u64 ttbr0, u64 ttbr1, u64 mair, u64 tcr): load the translation registers, invalidate the
 * EL1&0 TLB, then set SCTLR_EL1.M, C, I and SPAN and clear WXN and A (D8, enabling stage 1 translation;
 * D17.2 SCTLR_EL1). The code runs at the same address before and after: the support mappings are identity. */
    .globl  mmu_on
mmu_on:
    msr     mair_el1, x2
    msr     tcr_el1, x3
    msr     ttbr0_el1, x0
    msr     ttbr1_el1, x1
    isb
    tlbi    vmalle1
    dsb     ish
    isb
    mrs     x4, sctlr_el1
    ldr     x5, =(SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SPAN)
    orr     x4, x4, x5
    ldr     x5, =(SCTLR_WXN | SCTLR_A)
    bic     x4, x4, x5
    msr     sctlr_el1, x4
    isb
    ret

/* void table_switch(u64 ttbr0, u64 ttbr1, u64 mair, u64 tcr): load the next phase's registers with the MMU on
 * and invalidate the whole EL1&0 TLB (D8, TLB maintenance: TLBI VMALLE1, then DSB and ISB). */
    .globl  table_switch
table_switch:
    msr     mair_el1, x2
    msr     tcr_el1, x3
    msr     ttbr0_el1, x0
    msr     ttbr1_el1, x1
    isb
    tlbi    vmalle1
    dsb     ish
    isb
    ret

/* void sync_icache(void): make the patches written by data stores visible to instruction fetches: complete the
 * stores (DSB ISH), invalidate all instruction caches to the point of unification (IC IALLU), wait for that
 * (DSB ISH) and resynchronize this PE's fetches (ISB). Arm ARM B2 (barriers; concurrent modification and
 * execution of instructions). */
    .globl  sync_icache
sync_icache:
    dsb     ish
    ic      iallu
    dsb     ish
    isb
    ret

/* u64 read_entry(u64 pa): an entry read (docs/hardware-checks.md section 2, access 3). The 8 bytes at physical pa,
 * read with stage 1 translation off (SCTLR_EL1.M = 0: the access is to Device-nGnRnE memory at pa, D8, behavior when
 * stage 1 translation is disabled), so that the table under test is not walked; then M = 1 again. ISB after each
 * SCTLR_EL1 write makes it apply to what follows (B2, context synchronization). The kernel runs at the same addresses
 * either way: its support mappings are identity mappings. */
    .globl  read_entry
read_entry:
    mrs     x1, sctlr_el1
    bic     x2, x1, #SCTLR_M
    msr     sctlr_el1, x2
    isb
    ldr     x0, [x0]
    msr     sctlr_el1, x1
    isb
    ret

/* long run_check(u64 va, u64 access, u64 privilege, u64 value)
 * Returns 0 with the result in check_value, or 1 with ESR_EL1 in check_cause and FAR_EL1 in check_addr.
 * The callee-saved registers and SP go to check_ctx so an exception handler can resume here (at resume)
 * after any fault, from EL1 or EL0. */
    .globl  run_check
run_check:
    adrp    x9, check_ctx
    add     x9, x9, :lo12:check_ctx
    stp     x19, x20, [x9, #0]
    stp     x21, x22, [x9, #16]
    stp     x23, x24, [x9, #32]
    stp     x25, x26, [x9, #48]
    stp     x27, x28, [x9, #64]
    stp     x29, x30, [x9, #80]
    mov     x10, sp
    str     x10, [x9, #96]
    adrp    x9, in_check
    mov     x10, #1
    str     x10, [x9, :lo12:in_check]
    cbnz    x2, 1f
    /* supervisor: the access itself, at EL1 */
    mov     x2, x3
    bl      do_access
    adrp    x9, check_value
    str     x0, [x9, :lo12:check_value]
    mov     x0, #0
    b       resume
1:  /* user: ERET to the user page at EL0t with SPSR_EL1 = 0 (D1, exception return), SP_EL0 = top of the user
     * stack, x0 = va, x1 = access, x2 = value. It comes back through the lower-EL vector with SVC #0. */
    adrp    x9, user_entry
    add     x9, x9, :lo12:user_entry
    msr     elr_el1, x9
    msr     spsr_el1, xzr
    adrp    x9, user_stack_top
    add     x9, x9, :lo12:user_stack_top
    msr     sp_el0, x9
    mov     x2, x3
    eret

/* The access at EL1: x0 = va, x1 = access (0 load, 1 store, 2 fetch), x2 = value; the result in x0. */
do_access:
    cbz     x1, 2f
    cmp     x1, #1
    b.eq    3f
    stp     x29, x30, [sp, #-16]!
    blr     x0                          /* fetch: the stub at va returns V in x0 with RET */
    ldp     x29, x30, [sp], #16
    ret
2:  ldr     x0, [x0]
    ret
3:  str     x2, [x0]
    mov     x0, x2
    ret

/* Exception return target after every check: x0 = 0 (result) or 1 (fault). */
resume:
    adrp    x9, in_check
    str     xzr, [x9, :lo12:in_check]
    adrp    x9, check_ctx
    add     x9, x9, :lo12:check_ctx
    ldp     x19, x20, [x9, #0]
    ldp     x21, x22, [x9, #16]
    ldp     x23, x24, [x9, #32]
    ldp     x25, x26, [x9, #48]
    ldp     x27, x28, [x9, #64]
    ldp     x29, x30, [x9, #80]
    ldr     x10, [x9, #96]
    mov     sp, x10
    ret

/* Synchronous exception from EL1 (a supervisor check's abort): record ESR_EL1 and FAR_EL1. */
el1_sync:
    adrp    x9, in_check
    ldr     x10, [x9, :lo12:in_check]
    cbz     x10, 5f
    mov     x0, #1
    b       record_fault
5:  mov     x0, #0x200
    b       unexpected

/* Synchronous exception from EL0: SVC #0 (EC 0x15) ends a user check with x0 as its result; anything else is
 * the user check's fault (D17.2, ESR_EL1.EC). x0 is read before anything overwrites it. */
el0_sync:
    adrp    x9, in_check
    ldr     x10, [x9, :lo12:in_check]
    cbz     x10, 7f
    mrs     x10, esr_el1
    lsr     x11, x10, #26
    cmp     x11, #EC_SVC64
    b.ne    6f
    adrp    x9, check_value
    str     x0, [x9, :lo12:check_value]
    mov     x0, #0
    b       leave
6:  mov     x0, #1
    b       record_fault
7:  mov     x0, #0x400
    b       unexpected

record_fault:
    mrs     x10, esr_el1
    adrp    x9, check_cause
    str     x10, [x9, :lo12:check_cause]
    mrs     x10, far_el1
    adrp    x9, check_addr
    str     x10, [x9, :lo12:check_addr]
/* Return to resume at EL1h with interrupts masked (D1, ERET restores PSTATE from SPSR_EL1). */
leave:
    adrp    x9, resume
    add     x9, x9, :lo12:resume
    msr     elr_el1, x9
    mov     x9, #SPSR_EL1H_MASKED
    msr     spsr_el1, x9
    eret

/* Any other exception, or one outside a check: reported by unexpected_exception(vector offset, ESR, ELR, FAR)
 * on a fresh stack, unless the kernel is already stopping. */
unexpected:
    adrp    x9, stopping
    ldr     x10, [x9, :lo12:stopping]
    cbnz    x10, halt
    adrp    x9, stack_top
    add     x9, x9, :lo12:stack_top
    mov     sp, x9
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    bl      unexpected_exception
    b       halt

/* The vector table: 16 entries of 0x80 bytes, 2 KiB aligned (D1, exception vectors; VBAR_EL1 bits 10:0 RES0).
 * Offsets: 0x000 current EL with SP_EL0, 0x200 current EL with SP_ELx, 0x400 lower EL in AArch64,
 * 0x600 lower EL in AArch32; each group is synchronous, IRQ, FIQ, SError. */
    .macro  other_vector offset
    .balign 0x80
    mov     x0, #\offset
    b       unexpected
    .endm

    .balign 0x800
vectors:
    other_vector 0x000
    other_vector 0x080
    other_vector 0x100
    other_vector 0x180
    .balign 0x80
    b       el1_sync                    /* 0x200 */
    other_vector 0x280
    other_vector 0x300
    other_vector 0x380
    .balign 0x80
    b       el0_sync                    /* 0x400 */
    other_vector 0x480
    other_vector 0x500
    other_vector 0x580
    other_vector 0x600
    other_vector 0x680
    other_vector 0x700
    other_vector 0x780

/* The user page (docs/hardware-checks.md section 4), entered at EL0: x0 = va, x1 = access, x2 = value.
 * The access, then SVC #0 with the result in x0. */
    .section .user, "ax"
    .globl  user_entry
user_entry:
    cbz     x1, 8f
    cmp     x1, #1
    b.eq    9f
    blr     x0                          /* fetch */
    svc     #0
    b       .
8:  ldr     x0, [x0]                    /* load */
    svc     #0
    b       .
9:  str     x2, [x0]                    /* store */
    mov     x0, x2
    svc     #0
    b       .

    .section .ustack, "aw", %nobits
    .space  0x1000
    .globl  user_stack_top
user_stack_top:

    .bss
    .balign 16
check_ctx:   .space 112                 /* x19..x30, sp */
in_check:    .space 8
stopping:    .space 8
    .globl  check_value, check_cause, check_addr
check_value: .space 8
check_cause: .space 8
check_addr:  .space 8
    .balign 4096
    .space  0x4000
stack_top:
