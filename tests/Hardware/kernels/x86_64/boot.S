/* Checker kernel for x86_64 (docs/hardware-checks.md): multiboot entry, the 32-bit stage (header checks, patches,
 * long-mode entry on phase 0's table), the GDT, the exception stubs, the check runner and the user page.
 *
 * Manual references (Intel SDM Vol. 3A, chapter numbers of the editions with "User Interrupts" as chapter 7; older
 * editions number the chapters from Task Management on one lower):
 *   §3.4.5 and §5.2.1   segment descriptors, the L flag of a 64-bit code segment
 *   §4.1 and §4.5       paging modes, 4-level paging (CR0.PG/WP, CR4.PAE/SMEP, EFER.LME/NXE)
 *   §4.6                access rights (CR0.WP, SMEP, SMAP off, EFER.NXE), §4.7 page-fault error code
 *   §4.10.4.1           MOV to CR3 invalidates every non-global TLB entry (CR4.PGE = 0 here: none is global)
 *   §6.12, §6.14        interrupt gates, 64-bit stack frame (SS, RSP, RFLAGS, CS, RIP, error code), IRET
 *   §6.15               which exceptions push an error code (8, 10-14, 17, 21, 29, 30)
 *   §8.7                the 64-bit TSS and its RSP0 (Task Management)
 *   §9.1.3              self- and cross-modifying code
 *   §10.8.5             initializing IA-32e mode (Processor Management and Initialization)
 * Multiboot Specification 0.6.96 §3.1 (header with the address fields, flag 16) and §3.2 (machine state).
 */

#define LIST        0x1000000       /* where the check list is loaded */
#define WINDOW_LO   0x40000000      /* data window [0x4000_0000, 0xC000_0000) */
#define WINDOW_HI   0xC0000000

#define SEL_CODE32  0x08
#define SEL_CODE64  0x10
#define SEL_DATA    0x18
#define SEL_UDATA   0x20            /* used with RPL 3 */
#define SEL_UCODE   0x28            /* used with RPL 3 */
#define SEL_TSS     0x30

#define CR0_PE      (1 << 0)
#define CR0_WP      (1 << 16)
#define CR0_PG      (1 << 31)
#define CR4_PAE     (1 << 5)
#define CR4_SMEP    (1 << 20)
#define EFER_MSR    0xC0000080
#define EFER_LME    (1 << 8)
#define EFER_NXE    (1 << 11)

/* ---------------------------------------------------------------------------------------------------------------
 * Multiboot header. Flag 16 makes the loader use the address fields below instead of the ELF headers, which lets a
 * 64-bit ELF boot: the file is copied from the header's offset minus (header_addr - load_addr) to load_addr. */
    .section .text.start, "ax"
    .code32
    .align  4
multiboot_header:
    .long   0x1BADB002                      /* magic */
    .long   0x00010000                      /* flags: address fields valid */
    .long   -(0x1BADB002 + 0x00010000)      /* checksum */
    .long   multiboot_header                /* header_addr */
    .long   __image_start                   /* load_addr */
    .long   __image_end                     /* load_end_addr: the whole image comes from the file */
    .long   __image_end                     /* bss_end_addr */
    .long   _start32                        /* entry_addr */

/* ---------------------------------------------------------------------------------------------------------------
 * 32-bit stage. Multiboot leaves EAX = 0x2BADB002, EBX = information address, flat 32-bit CS/DS, paging off,
 * interrupts off and an undefined GDTR and stack. */
    .globl  _start32
_start32:
    cli
    cld
    lgdt    gdt_pointer
    ljmp    $SEL_CODE32, $1f
1:  movl    $SEL_DATA, %eax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    movw    %ax, %fs
    movw    %ax, %gs
    movl    $stack_top, %esp

    /* HWC BEGIN X64 <phase_count> <check_count> */
    movl    $text_begin, %esi
    call    puts32
    movl    LIST + 0x18, %eax
    movl    LIST + 0x1C, %edx
    call    putdec32
    movb    $' ', %al
    call    putc32
    movl    LIST + 0x20, %eax
    movl    LIST + 0x24, %edx
    call    putdec32
    movb    $'\n', %al
    call    putc32

    /* The header: magic "PHWTCHK1", version 1, arch 1 (X64). */
    movl    $text_magic, %esi
    cmpl    $0x54574850, LIST
    jne     fail32
    cmpl    $0x314B4843, LIST + 4
    jne     fail32
    movl    $text_version, %esi
    cmpl    $1, LIST + 0x08
    jne     fail32
    cmpl    $0, LIST + 0x0C
    jne     fail32
    movl    $text_arch, %esi
    cmpl    $1, LIST + 0x10
    jne     fail32
    cmpl    $0, LIST + 0x14
    jne     fail32
    movl    $text_phases, %esi
    movl    LIST + 0x18, %eax
    orl     LIST + 0x1C, %eax
    jz      fail32
    movl    $text_offsets, %esi             /* the list must fit in 4 MiB: its offsets and counts below 2^22 */
    movl    LIST + 0x28, %eax               /* patch_count */
    orl     LIST + 0x30, %eax               /* phases_offset */
    orl     LIST + 0x40, %eax               /* patches_offset */
    testl   $0xFFC00000, %eax
    jnz     fail32
    movl    LIST + 0x2C, %eax
    orl     LIST + 0x34, %eax
    orl     LIST + 0x44, %eax
    jnz     fail32

    /* CPU features the tables may use: SMEP (CPUID.(EAX=7,ECX=0):EBX[7]), NX (CPUID.80000001H:EDX[20]),
     * 1-GByte pages (EDX[26]) and long mode (EDX[29]). */
    movl    $text_cpu, %esi
    xorl    %eax, %eax
    cpuid
    cmpl    $7, %eax
    jb      fail32
    movl    $7, %eax
    xorl    %ecx, %ecx
    cpuid
    testl   $(1 << 7), %ebx
    jz      fail32
    movl    $0x80000000, %eax
    cpuid
    cmpl    $0x80000001, %eax
    jb      fail32
    movl    $0x80000001, %eax
    cpuid
    andl    $((1 << 20) | (1 << 26) | (1 << 29)), %edx
    cmpl    $((1 << 20) | (1 << 26) | (1 << 29)), %edx
    jne     fail32

    /* The patches, with paging off: every pa 8-byte aligned inside the data window. */
    movl    LIST + 0x40, %esi
    addl    $LIST, %esi
    movl    LIST + 0x28, %ecx
2:  testl   %ecx, %ecx
    jz      3f
    movl    (%esi), %edi
    cmpl    $0, 4(%esi)
    jne     bad_patch
    testl   $7, %edi
    jnz     bad_patch
    cmpl    $WINDOW_LO, %edi
    jb      bad_patch
    cmpl    $(WINDOW_HI - 8), %edi
    ja      bad_patch
    movl    8(%esi), %eax
    movl    %eax, (%edi)
    movl    12(%esi), %eax
    movl    %eax, 4(%edi)
    addl    $16, %esi
    decl    %ecx
    jmp     2b
    /* Nothing to flush for instruction fetch: the MOV to CR0 below is serializing, which is all SDM §9.1.3
     * ("Handling Self- and Cross-Modifying Code") asks before the written bytes run as code. */

3:  /* Phase 0: its CR3 (below 4 GiB: the tables lie in [0x200_0000, 0x400_0000)) turns paging on. */
    movl    $text_phase0, %esi
    call    puts32
    movl    LIST + 0x30, %eax
    addl    $LIST, %eax
    movl    $text_cr3, %esi
    cmpl    $0, 0x14(%eax)
    jne     fail32
    movl    0x10(%eax), %ebx

    /* SDM §10.8.5: PAE (and SMEP) in CR4, the PML4 in CR3, EFER.LME (and NXE), then CR0.PG. CR4 is written
     * whole: PGE, PCIDE, SMAP, PKE and LA57 are 0. */
    movl    $(CR4_PAE | CR4_SMEP), %eax
    movl    %eax, %cr4
    movl    %ebx, %cr3
    movl    $EFER_MSR, %ecx
    rdmsr
    orl     $(EFER_LME | EFER_NXE), %eax
    wrmsr
    movl    %cr0, %eax
    orl     $(CR0_PG | CR0_WP | CR0_PE), %eax
    movl    %eax, %cr0
    /* IA-32e mode is active (compatibility mode); the far jump loads the 64-bit code segment. */
    ljmp    $SEL_CODE64, $start64

bad_patch:
    movl    $text_patch, %esi
    /* fall through */

/* HWC ERROR <esi> and stop. */
fail32:
    pushl   %esi
    movl    $text_error, %esi
    call    puts32
    popl    %esi
    call    puts32
    movb    $'\n', %al
    call    putc32
    movb    $0, %al
    outb    %al, $0xF4                      /* isa-debug-exit */
4:  hlt
    jmp     4b

/* putc32: AL to COM1 once the line status register says the transmit holding register is empty (bit 5).
 * Clobbers EDX. */
putc32:
    pushl   %eax
    movw    $0x3FD, %dx
5:  inb     %dx, %al
    testb   $0x20, %al
    jz      5b
    popl    %eax
    movw    $0x3F8, %dx
    outb    %al, %dx
    ret

/* puts32: the zero-terminated string at ESI. Clobbers EAX, EDX, ESI. */
puts32:
    lodsb
    testb   %al, %al
    jz      6f
    call    putc32
    jmp     puts32
6:  ret

/* putdec32: EDX:EAX in decimal (two chained 32-bit divisions per digit). Clobbers EAX, ECX, EDX. */
putdec32:
    pushl   %ebx
    pushl   %esi
    pushl   %edi
    movl    %esp, %edi
    movl    %edx, %esi
    movl    $10, %ebx
7:  movl    %eax, %ecx
    movl    %esi, %eax
    xorl    %edx, %edx
    divl    %ebx
    movl    %eax, %esi
    movl    %ecx, %eax
    divl    %ebx
    pushl   %edx
    movl    %eax, %ecx
    orl     %esi, %ecx
    jnz     7b
8:  popl    %eax
    addb    $'0', %al
    call    putc32
    cmpl    %edi, %esp
    jne     8b
    popl    %edi
    popl    %esi
    popl    %ebx
    ret

/* ---------------------------------------------------------------------------------------------------------------
 * 64-bit entry: flat data segments, the kernel stack, then the C part. */
    .code64
start64:
    movl    $SEL_DATA, %eax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    xorl    %eax, %eax
    movw    %ax, %fs
    movw    %ax, %gs
    movl    $stack_top, %esp
    call    kmain
    .globl  power_off
power_off:
    movb    $0, %al
    outb    %al, $0xF4                      /* isa-debug-exit: QEMU exits with status 1 */
9:  hlt
    jmp     9b

/* ---------------------------------------------------------------------------------------------------------------
 * long run_check(u64 va, u64 access, u64 privilege, u64 value)   (RDI, RSI, RDX, RCX)
 * Returns 0 with the result in check_value, or 1 with check_cause and check_address after an exception.
 * The callee-saved registers and RSP are kept in check_jmp so the exception handler can resume here. */
    .text
    .globl  run_check
run_check:
    movq    %rbx, check_jmp + 0(%rip)
    movq    %rbp, check_jmp + 8(%rip)
    movq    %r12, check_jmp + 16(%rip)
    movq    %r13, check_jmp + 24(%rip)
    movq    %r14, check_jmp + 32(%rip)
    movq    %r15, check_jmp + 40(%rip)
    movq    %rsp, check_jmp + 48(%rip)
    movq    $1, in_check(%rip)
    testq   %rdx, %rdx
    jnz     10f
    /* supervisor: the access itself, at CPL 0 with interrupts off */
    movq    %rcx, %rdx
    call    do_access
    movq    %rax, check_value(%rip)
    xorl    %eax, %eax
    jmp     resume
10: /* user: IRETQ to the user page at CPL 3 (SDM §6.14.3 frame: SS, RSP, RFLAGS, CS, RIP) with RDI = va,
     * RSI = access, RDX = value and no other register carrying kernel data. */
    movq    %rcx, %rdx
    xorl    %eax, %eax
    xorl    %ecx, %ecx
    xorl    %ebx, %ebx
    xorl    %ebp, %ebp
    xorl    %r8d, %r8d
    xorl    %r9d, %r9d
    xorl    %r10d, %r10d
    xorl    %r11d, %r11d
    xorl    %r12d, %r12d
    xorl    %r13d, %r13d
    xorl    %r14d, %r14d
    xorl    %r15d, %r15d
    pushq   $(SEL_UDATA | 3)
    pushq   $user_stack_top
    pushq   $0x2                            /* RFLAGS: IF = 0, IOPL = 0, AC = 0 */
    pushq   $(SEL_UCODE | 3)
    pushq   $user_entry
    iretq

/* The access in RDI (va), RSI (0 load, 1 store, 2 fetch), RDX (value); result in RAX. */
do_access:
    testq   %rsi, %rsi
    jz      11f
    cmpq    $1, %rsi
    je      12f
    call    *%rdi                           /* fetch: the stub returns V in EAX (upper half zeroed) */
    ret
11: movq    (%rdi), %rax
    ret
12: movq    %rdx, (%rdi)
    movq    %rdx, %rax
    ret

/* ---------------------------------------------------------------------------------------------------------------
 * Exception stubs: each pushes 0 where the CPU pushes no error code, then its vector. */
    .macro  STUB vector, has_error
    .align  16
stub_\vector:
    .if     \has_error == 0
    pushq   $0
    .endif
    pushq   $\vector
    jmp     trap_common
    .endm

    STUB 0, 0
    STUB 1, 0
    STUB 2, 0
    STUB 3, 0
    STUB 4, 0
    STUB 5, 0
    STUB 6, 0
    STUB 7, 0
    STUB 8, 1
    STUB 9, 0
    STUB 10, 1
    STUB 11, 1
    STUB 12, 1
    STUB 13, 1
    STUB 14, 1
    STUB 15, 0
    STUB 16, 0
    STUB 17, 1
    STUB 18, 0
    STUB 19, 0
    STUB 20, 0
    STUB 21, 1
    STUB 22, 0
    STUB 23, 0
    STUB 24, 0
    STUB 25, 0
    STUB 26, 0
    STUB 27, 0
    STUB 28, 0
    STUB 29, 1
    STUB 30, 1
    STUB 31, 0
    STUB 128, 0

/* Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS. INT 0x80 from CPL 3 ends a user check with RAX as its
 * result; any other vector during a check is its fault: cause = vector << 32 | error code, address = CR2 for #PF. */
trap_common:
    cmpq    $0, in_check(%rip)
    je      unexpected
    cmpq    $128, (%rsp)
    jne     13f
    testb   $3, 24(%rsp)                    /* the interrupted CS's RPL: 3 for user mode */
    jz      unexpected
    movq    %rax, check_value(%rip)
    xorl    %eax, %eax
    jmp     resume
13: movq    (%rsp), %rax
    shlq    $32, %rax
    movl    8(%rsp), %ecx                   /* the error code is 32 bits, zero-extended in the frame */
    orq     %rcx, %rax
    movq    %rax, check_cause(%rip)
    xorl    %eax, %eax
    cmpq    $14, (%rsp)
    jne     14f
    movq    %cr2, %rax
14: movq    %rax, check_address(%rip)
    movl    $1, %eax
resume:
    movq    $0, in_check(%rip)
    movq    check_jmp + 0(%rip), %rbx
    movq    check_jmp + 8(%rip), %rbp
    movq    check_jmp + 16(%rip), %r12
    movq    check_jmp + 24(%rip), %r13
    movq    check_jmp + 32(%rip), %r14
    movq    check_jmp + 40(%rip), %r15
    movq    check_jmp + 48(%rip), %rsp
    movl    $SEL_DATA, %ecx                 /* an interrupt from CPL 3 left SS null */
    movw    %cx, %ss
    ret
unexpected:
    movq    %rsp, %rdi
    andq    $-16, %rsp
    call    unexpected_trap
15: hlt
    jmp     15b

/* ---------------------------------------------------------------------------------------------------------------
 * The GDT (SDM §3.4.5, §5.2.1): flat 32-bit code for the 32-bit stage, 64-bit kernel code, flat data, user data
 * and 64-bit user code at DPL 3, and the 16-byte TSS descriptor kmain fills in. */
    .data
    .align  16
    .globl  gdt
gdt:
    .quad   0
    .quad   0x00CF9A000000FFFF              /* 0x08 code, 32-bit (D = 1), DPL 0 */
    .quad   0x00AF9A000000FFFF              /* 0x10 code, 64-bit (L = 1), DPL 0 */
    .quad   0x00CF92000000FFFF              /* 0x18 data, writable, DPL 0 */
    .quad   0x00CFF2000000FFFF              /* 0x20 data, writable, DPL 3 */
    .quad   0x00AFFA000000FFFF              /* 0x28 code, 64-bit, DPL 3 */
    .quad   0, 0                            /* 0x30 TSS */
gdt_end:
gdt_pointer:
    .word   gdt_end - gdt - 1
    .long   gdt

/* The exception stub of each vector 0..31, then 0x80's. */
    .align  8
    .globl  trap_stubs
trap_stubs:
    .quad   stub_0, stub_1, stub_2, stub_3, stub_4, stub_5, stub_6, stub_7
    .quad   stub_8, stub_9, stub_10, stub_11, stub_12, stub_13, stub_14, stub_15
    .quad   stub_16, stub_17, stub_18, stub_19, stub_20, stub_21, stub_22, stub_23
    .quad   stub_24, stub_25, stub_26, stub_27, stub_28, stub_29, stub_30, stub_31
    .quad   stub_128

    .align  8
check_jmp:      .quad 0, 0, 0, 0, 0, 0, 0
in_check:       .quad 0
    .globl  check_value, check_cause, check_address
check_value:    .quad 0
check_cause:    .quad 0
check_address:  .quad 0

    .section .rodata
text_begin:     .asciz "HWC BEGIN X64 "
text_phase0:    .asciz "HWC PHASE 0\n"
text_error:     .asciz "HWC ERROR "
text_magic:     .asciz "bad magic"
text_version:   .asciz "unsupported version"
text_arch:      .asciz "not an x86_64 check list"
text_phases:    .asciz "no phase"
text_offsets:   .asciz "list offsets or counts beyond 4 MiB"
text_cpu:       .asciz "CPU lacks SMEP, NX, 1 GiB pages or long mode (run with -cpu max)"
text_patch:     .asciz "patch address outside the data window or not 8-byte aligned"
text_cr3:       .asciz "phase 0 CR3 above 4 GiB"

/* Stacks, in the image (as initialized data, so the whole image is file-backed): the kernel stack, and the trap
 * stack that TSS.RSP0 names for exceptions and INT 0x80 from user mode. */
    .section .stacks, "aw", @progbits
    .align  4096
    .space  0x4000
    .globl  stack_top
stack_top:
    .space  0x1000
    .globl  trap_stack_top
trap_stack_top:

/* The user page (KBASE + 0x8_0000): RDI = va, RSI = access, RDX = value; INT 0x80 with the result in RAX. */
    .section .user, "ax"
    .globl  user_entry
user_entry:
    testq   %rsi, %rsi
    jz      16f
    cmpq    $1, %rsi
    je      17f
    call    *%rdi
    int     $0x80
16: movq    (%rdi), %rax
    int     $0x80
17: movq    %rdx, (%rdi)
    movq    %rdx, %rax
    int     $0x80

/* The user stack page (KBASE + 0x8_1000): a fetch's CALL pushes its return address here. */
    .section .ustack, "aw", @progbits
    .space  0x1000
    .globl  user_stack_top
user_stack_top:
