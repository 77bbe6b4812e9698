/* LoongArch64 checker kernel: entry, exception entries and the code that performs one access
 * (docs/hardware-checks.md sections 2 to 4). References are to the LoongArch Reference Manual, Volume 1 (v1.10).
 *
 * The kernel runs at PLV0 in the direct-mapped window DMW0 (VSEG 8, cached) and reaches its user page through
 * DMW1 (VSEG 9, PLV0 and PLV3) and the UART through DMW2 (VSEG 0xA, strongly-ordered uncached) (5.2.1, 7.5.18
 * DMW0-3). It builds no page table: TLB refills walk the tables of the image in software (refill entry below). */

/* CSR numbers (7.1, CSR list). */
#define CSR_CRMD      0x0
#define CSR_PRMD      0x1
#define CSR_EUEN      0x2
#define CSR_ECFG      0x4
#define CSR_ESTAT     0x5
#define CSR_ERA       0x6
#define CSR_BADV      0x7
#define CSR_EENTRY    0xc
#define CSR_PGDL      0x19
#define CSR_PGDH      0x1a
#define CSR_SAVE0     0x30
#define CSR_SAVE1     0x31
#define CSR_SAVE2     0x32
#define CSR_TLBRENTRY 0x88
#define CSR_TLBRBADV  0x89
#define CSR_TLBRSAVE  0x8b
#define CSR_TLBRELO0  0x8c
#define CSR_TLBRELO1  0x8d
#define CSR_TLBREHI   0x8e
#define CSR_DMW0      0x180
#define CSR_DMW1      0x181
#define CSR_DMW2      0x182
#define CSR_DMW3      0x183

/* Layout of the context saved by hwc_access (struct hwc_context in main.c). */
#define CTX_RA      0
#define CTX_SP      8
#define CTX_FP      16
#define CTX_S0      24
#define CTX_OUT     96
#define CTX_ACTIVE  104

    .section .text.start, "ax"
    .globl _start
_start:
    /* QEMU starts the ELF entry in direct address translation mode (CRMD.DA = 1, PG = 0), where the physical
     * address is the virtual address's bits PALEN-1:0 (5.2), so the DMW0 alias the image is linked at and the
     * physical address both reach this code. Set the windows first (7.5.18): DMW0 = VSEG 8, PLV0, MAT = 1 (CC);
     * DMW1 = VSEG 9, PLV0 and PLV3, MAT = CC; DMW2 = VSEG 0xA, PLV0, MAT = 0 (SUC); DMW3 unused. */
    li.d        $t0, 0x8000000000000011
    csrwr       $t0, CSR_DMW0
    li.d        $t0, 0x9000000000000019
    csrwr       $t0, CSR_DMW1
    li.d        $t0, 0xa000000000000001
    csrwr       $t0, CSR_DMW2
    csrwr       $zero, CSR_DMW3

    /* Continue at the DMW0 alias whatever address the loader entered at. */
    la.pcrel    $t0, 1f
    li.d        $t1, 8
    bstrins.d   $t0, $t1, 63, 60
    jirl        $zero, $t0, 0
1:
    la.pcrel    $sp, kernel_stack_top

    /* Clear .bss (QEMU's ELF loader zero-fills it already; this keeps the kernel independent of that). */
    la.pcrel    $t0, __bss_start
    la.pcrel    $t1, __bss_end
2:  bgeu        $t0, $t1, 3f
    st.d        $zero, $t0, 0
    addi.d      $t0, $t0, 8
    b           2b
3:
    /* CRMD (7.4.1): PLV0, IE = 0 (checks run with interrupts off); paging stays off until phase 0.
     * ECFG (7.4.5) = 0: no interrupt line enabled, VS = 0 so every exception enters at EENTRY itself.
     * EUEN (7.4.3) = 0: no floating-point or vector unit (the kernel is built soft-float). */
    li.d        $t0, 0x7
    csrxchg     $zero, $t0, CSR_CRMD
    csrwr       $zero, CSR_ECFG
    csrwr       $zero, CSR_EUEN

    /* EENTRY (7.4.10) takes a virtual address: the DMW0 alias of trap_entry. TLBRENTRY (7.5.11) takes a physical
     * address, as the refill exception switches to direct address translation mode (6.2, hardware handling of the
     * TLB refill exception). */
    la.pcrel    $t0, trap_entry
    csrwr       $t0, CSR_EENTRY
    la.pcrel    $t0, tlb_refill_entry
    bstrpick.d  $t0, $t0, 47, 0
    csrwr       $t0, CSR_TLBRENTRY

    bl          hwc_main
4:  idle        0
    b           4b

/* long hwc_access(u64 va, u64 access, u64 privilege, u64 value, u64 out[2])
 *
 * Performs one access (access 0 = ld.d, 1 = st.d of value, 2 = call of va) at PLV0 (privilege 0) or in the user
 * page at PLV3 (privilege 1). Returns 0 with the result in out[0], or 1 with ESTAT in out[0] and BADV in out[1]
 * when the access raised an exception. The callee-saved registers are kept in hwc_context so that the trap
 * handler can resume here whatever state the access left behind. */
    .text
    .globl hwc_access
hwc_access:
    la.pcrel    $t0, hwc_context
    st.d        $ra, $t0, CTX_RA
    st.d        $sp, $t0, CTX_SP
    st.d        $fp, $t0, CTX_FP
    st.d        $s0, $t0, CTX_S0 + 0
    st.d        $s1, $t0, CTX_S0 + 8
    st.d        $s2, $t0, CTX_S0 + 16
    st.d        $s3, $t0, CTX_S0 + 24
    st.d        $s4, $t0, CTX_S0 + 32
    st.d        $s5, $t0, CTX_S0 + 40
    st.d        $s6, $t0, CTX_S0 + 48
    st.d        $s7, $t0, CTX_S0 + 56
    st.d        $s8, $t0, CTX_S0 + 64
    st.d        $a4, $t0, CTX_OUT
    li.d        $t1, 1
    st.d        $t1, $t0, CTX_ACTIVE

    bnez        $a2, .Lenter_user

    /* Supervisor access, at the kernel's own PLV0. */
    move        $t2, $a0
    bnez        $a1, 1f
    ld.d        $a0, $t2, 0
    b           hwc_resume_ok
1:  addi.d      $t3, $a1, -1
    bnez        $t3, 2f
    st.d        $a3, $t2, 0
    move        $a0, $a3
    b           hwc_resume_ok
2:  jirl        $ra, $t2, 0             /* the fetch stub returns V in $a0 through $ra */
    b           hwc_resume_ok

.Lenter_user:
    /* ERTN to the user page at PLV3 (4.2.6, ERTN; 7.4.2 PRMD): PRMD.PPLV = 3, PIE = 0, PWE = 0; ERA = the user
     * page's DMW1 alias. $a0, $a1 and $a3 carry va, access and value; the user code returns with SYSCALL 0. */
    li.d        $t1, 3
    csrwr       $t1, CSR_PRMD
    la.pcrel    $t1, user_entry
    li.d        $t2, 9
    bstrins.d   $t1, $t2, 63, 60
    csrwr       $t1, CSR_ERA
    ertn

/* Entered with the result in $a0: store it, restore the caller's registers, return 0. */
hwc_resume_ok:
    la.pcrel    $t0, hwc_context
    ld.d        $t1, $t0, CTX_OUT
    st.d        $a0, $t1, 0
    move        $a0, $zero
    b           .Lrestore

/* Entered from trap_entry after a fault: ESTAT and BADV are in out[]; return 1. */
hwc_resume_fault:
    la.pcrel    $t0, hwc_context
    li.d        $a0, 1

.Lrestore:
    st.d        $zero, $t0, CTX_ACTIVE
    ld.d        $ra, $t0, CTX_RA
    ld.d        $sp, $t0, CTX_SP
    ld.d        $fp, $t0, CTX_FP
    ld.d        $s0, $t0, CTX_S0 + 0
    ld.d        $s1, $t0, CTX_S0 + 8
    ld.d        $s2, $t0, CTX_S0 + 16
    ld.d        $s3, $t0, CTX_S0 + 24
    ld.d        $s4, $t0, CTX_S0 + 32
    ld.d        $s5, $t0, CTX_S0 + 40
    ld.d        $s6, $t0, CTX_S0 + 48
    ld.d        $s7, $t0, CTX_S0 + 56
    ld.d        $s8, $t0, CTX_S0 + 64
    jr          $ra

/* General exception entry (EENTRY, ECFG.VS = 0). The hardware has saved CRMD.PLV/IE in PRMD and set PLV0 with
 * interrupts off, keeping the translation mode (6.2, hardware handling of general exceptions). During a check
 * every register but those in hwc_context is free, so the handler needs no save area. It leaves with ERTN to
 * hwc_resume_ok (SYSCALL from the user page: the result is in $a0) or hwc_resume_fault (any other exception:
 * ESTAT (7.4.6) and BADV (7.4.8) are recorded), at PLV0 with interrupts off. */
    .p2align 12
trap_entry:
    la.pcrel    $t0, hwc_context
    ld.d        $t1, $t0, CTX_ACTIVE
    beqz        $t1, .Lunexpected
    csrrd       $t2, CSR_ESTAT
    bstrpick.d  $t3, $t2, 21, 16        /* Ecode */
    li.d        $t4, 0xb                /* SYS */
    bne         $t3, $t4, .Lfault
    csrrd       $t4, CSR_PRMD
    andi        $t4, $t4, 3
    li.d        $t5, 3
    bne         $t4, $t5, .Lfault       /* a SYSCALL counts as a result only from the user page */
    la.pcrel    $t5, hwc_resume_ok
    b           .Lleave
.Lfault:
    ld.d        $t5, $t0, CTX_OUT
    st.d        $t2, $t5, 0
    csrrd       $t6, CSR_BADV
    st.d        $t6, $t5, 8
    la.pcrel    $t5, hwc_resume_fault
.Lleave:
    csrwr       $t5, CSR_ERA
    csrwr       $zero, CSR_PRMD         /* PPLV = 0, PIE = 0 */
    ertn
.Lunexpected:
    la.pcrel    $sp, kernel_stack_top
    csrrd       $a0, CSR_ESTAT
    csrrd       $a1, CSR_ERA
    csrrd       $a2, CSR_BADV
    bl          hwc_unexpected
5:  idle        0
    b           5b

/* TLB refill entry (TLBRENTRY). Entered in direct address translation mode at PLV0 with TLBRBADV = the address
 * and TLBREHI.VPPN = its bits 47:13 (6.2, hardware handling of the TLB refill exception). A software walk of the
 * four-level table at PGDL/PGDH (PGDH when bit 63 of the address is 1, as CSR.PGD selects, 7.5.5-7.5.7) with the
 * layout PWCL = 0x13E4_D52C, PWCH = 0x267 describe (7.5.8, 7.5.9; 5.4.5, multi-level page table structure):
 * Dir3 = bits 47:39, Dir2 = 38:30, Dir1 = 29:21, PT = 20:12, 8-byte entries.
 *
 * - A directory entry of 0 (no table), HUGE (bit 6) in a Dir3 entry, or a huge page whose address bits below
 *   its size (from bit 13) are not 0, fills an invalid pair (TLBRELO0 = TLBRELO1 = 0, PS = 12): the retried
 *   access then raises PIL, PIS or PIF (5.4.4, TLB-based translation).
 * - A 4 KiB page fills the even/odd pair of PTEs that holds it (PS = 12).
 * - A 2 MiB or 1 GiB leaf (HUGE = 1 in a Dir1 or Dir2 entry) fills one TLB entry that covers the whole leaf as
 *   an even/odd pair of halves (PS = 20 or 29; each half is one page of 2^PS bytes, 5.4.2), with HGLOBAL (bit 12)
 *   moved to G (bit 6), as the LDPTE instruction does for huge pages (4.2.5).
 * TLBELO bits kept as written: V, D, PLV, MAT, G, PPN (47:12), NR, NX, RPLV (7.5.3); the software bits 11:7 and
 * 60:48 are cleared. QEMU 7.2's own LDDIR/LDPTE are not used: its LDPTE drops NX/NR/RPLV and fills every huge
 * page with PS = 20 (docs/hardware-checks.md section 9). */
    .p2align 12
tlb_refill_entry:
    csrwr       $t0, CSR_TLBRSAVE
    csrwr       $t1, CSR_SAVE0
    csrwr       $t2, CSR_SAVE1
    csrwr       $t3, CSR_SAVE2

    csrrd       $t0, CSR_TLBRBADV
    csrrd       $t1, CSR_PGDL
    bgez        $t0, 1f
    csrrd       $t1, CSR_PGDH
1:
    /* Dir3 */
    bstrpick.d  $t2, $t0, 47, 39
    alsl.d      $t2, $t2, $t1, 3
    ld.d        $t1, $t2, 0
    beqz        $t1, .Lrefill_invalid
    andi        $t2, $t1, 0x40
    bnez        $t2, .Lrefill_invalid
    bstrpick.d  $t1, $t1, 47, 12
    slli.d      $t1, $t1, 12
    /* Dir2 */
    bstrpick.d  $t2, $t0, 38, 30
    alsl.d      $t2, $t2, $t1, 3
    ld.d        $t1, $t2, 0
    beqz        $t1, .Lrefill_invalid
    andi        $t2, $t1, 0x40
    bnez        $t2, .Lrefill_1g
    bstrpick.d  $t1, $t1, 47, 12
    slli.d      $t1, $t1, 12
    /* Dir1 */
    bstrpick.d  $t2, $t0, 29, 21
    alsl.d      $t2, $t2, $t1, 3
    ld.d        $t1, $t2, 0
    beqz        $t1, .Lrefill_invalid
    andi        $t2, $t1, 0x40
    bnez        $t2, .Lrefill_2m
    bstrpick.d  $t1, $t1, 47, 12
    slli.d      $t1, $t1, 12
    /* PT: the even/odd pair of PTEs, 16 bytes at (bits 20:13) * 16 */
    bstrpick.d  $t2, $t0, 20, 13
    alsl.d      $t2, $t2, $t1, 4
    ld.d        $t1, $t2, 0
    ld.d        $t3, $t2, 8
    bstrins.d   $t1, $zero, 11, 7
    bstrins.d   $t1, $zero, 60, 48
    bstrins.d   $t3, $zero, 11, 7
    bstrins.d   $t3, $zero, 60, 48
    csrwr       $t1, CSR_TLBRELO0
    csrwr       $t3, CSR_TLBRELO1
    li.d        $t1, 12
    b           .Lrefill_fill

.Lrefill_2m:
    bstrpick.d  $t2, $t1, 20, 13
    bnez        $t2, .Lrefill_invalid
    li.d        $t3, 20
    b           .Lrefill_huge
.Lrefill_1g:
    bstrpick.d  $t2, $t1, 29, 13
    bnez        $t2, .Lrefill_invalid
    li.d        $t3, 29
.Lrefill_huge:
    bstrpick.d  $t2, $t1, 12, 12        /* HGLOBAL -> G (replacing HUGE) */
    bstrins.d   $t1, $t2, 6, 6
    bstrins.d   $t1, $zero, 12, 7
    bstrins.d   $t1, $zero, 60, 48
    li.d        $t2, 1
    sll.d       $t2, $t2, $t3
    add.d       $t2, $t1, $t2           /* odd half: the leaf's address + 2^PS */
    csrwr       $t1, CSR_TLBRELO0
    csrwr       $t2, CSR_TLBRELO1
    move        $t1, $t3
    b           .Lrefill_fill

.Lrefill_invalid:
    csrwr       $zero, CSR_TLBRELO0
    csrwr       $zero, CSR_TLBRELO1
    li.d        $t1, 12

.Lrefill_fill:
    /* TLBREHI.PS (bits 5:0, 7.5.16) = page size; VPPN stays as the hardware wrote it. TLBFILL writes the entry
     * from TLBREHI/TLBRELO0/TLBRELO1 (4.2.4); ERTN returns through TLBRERA with paging back on. */
    li.d        $t2, 0x3f
    csrxchg     $t1, $t2, CSR_TLBREHI
    tlbfill
    csrrd       $t3, CSR_SAVE2
    csrrd       $t2, CSR_SAVE1
    csrrd       $t1, CSR_SAVE0
    csrrd       $t0, CSR_TLBRSAVE
    ertn

/* The user page (KBASE + 0x8_0000), run at PLV3 through DMW1. $a0 = va, $a1 = access, $a3 = value; the result
 * goes back in $a0 with SYSCALL 0 (Ecode 0xB). */
    .section .user, "ax"
    .globl user_entry
user_entry:
    bnez        $a1, 1f
    ld.d        $a0, $a0, 0
    syscall     0
1:  addi.d      $t0, $a1, -1
    bnez        $t0, 2f
    st.d        $a3, $a0, 0
    move        $a0, $a3
    syscall     0
2:  jirl        $ra, $a0, 0
    syscall     0

    .section .user_stack, "aw", @nobits
    .p2align 12
    .space 4096

    .bss
    .p2align 4
    .globl hwc_context
hwc_context:
    .space 112
    .p2align 12
kernel_stack:
    .space 16384
kernel_stack_top:
