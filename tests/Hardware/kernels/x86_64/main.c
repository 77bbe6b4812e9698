/* Checker kernel for x86_64 (docs/hardware-checks.md), 64-bit part: the IDT and TSS, then every phase's CR3 and
 * checks, one serial line per check on COM1. boot.S has already printed HWC BEGIN, written the patches and entered
 * long mode on phase 0's table. Builds no page table.
 *
 * Intel SDM Vol. 3A (chapter numbers as in boot.S): §6.10-§6.11 and §6.14.1 (IDTR, 64-bit gate descriptors),
 * §8.2.3 and §8.7 (64-bit TSS, its descriptor, LTR), §4.10.4.1 (MOV to CR3 invalidates the TLB's non-global
 * entries; CR4.PGE = 0). */
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define LIST 0x1000000UL
#define TABLES 0x2000000UL
#define TABLES_END (TABLES + 0x2000000UL)
#define ACCESS_ENTRY_READ 3
#define SEL_CODE64 0x10
#define SEL_TSS 0x30

long run_check(u64 va, u64 access, u64 privilege, u64 value);
void power_off(void) __attribute__((noreturn));
extern volatile u64 check_value, check_cause, check_address;
extern u64 gdt[];
extern const u64 trap_stubs[33];
extern u8 trap_stack_top[];

/* A 64-bit interrupt gate (SDM §6.14.1). */
struct gate {
    u16 offset_low;
    u16 selector;
    u8 ist;
    u8 type_attr; /* P | DPL | type 0xE (64-bit interrupt gate: IF cleared on entry) */
    u16 offset_mid;
    u32 offset_high;
    u32 reserved;
};

/* The 64-bit TSS (SDM §8.7): only RSP0 is used, for exceptions and INT 0x80 taken at CPL 3. */
struct tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
} __attribute__((packed));

static struct gate idt[256] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void putc(char c)
{
    while ((inb(0x3FD) & 0x20) == 0) { } /* COM1 LSR bit 5: transmit holding register empty */
    outb(0x3F8, (u8)c);
}

static void puts(const char *s)
{
    while (*s) putc(*s++);
}

static void putdec(u64 v)
{
    char buf[24];
    int n = 0;
    do { buf[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) putc(buf[--n]);
}

static void puthex(u64 v)
{
    for (int shift = 60; shift >= 0; shift -= 4) putc("0123456789abcdef"[(v >> shift) & 15]);
}

static void __attribute__((noreturn)) fail(const char *why)
{
    puts("HWC ERROR ");
    puts(why);
    puts("\n");
    power_off();
}

static void set_gate(int vector, u64 handler, int dpl)
{
    struct gate *g = &idt[vector];
    g->offset_low = (u16)handler;
    g->selector = SEL_CODE64;
    g->ist = 0;
    g->type_attr = (u8)(0x80 | dpl << 5 | 0xE);
    g->offset_mid = (u16)(handler >> 16);
    g->offset_high = (u32)(handler >> 32);
    g->reserved = 0;
}

static void setup_traps(void)
{
    for (int v = 0; v < 32; v++) set_gate(v, trap_stubs[v], 0);
    set_gate(0x80, trap_stubs[32], 3); /* INT 0x80 from CPL 3 needs DPL 3 (SDM §6.12.1.1) */
    struct {
        u16 limit;
        u64 base;
    } __attribute__((packed)) idtr = {sizeof idt - 1, (u64)idt};
    __asm__ volatile("lidt %0" ::"m"(idtr));

    tss.rsp[0] = (u64)trap_stack_top;
    tss.iomap_base = sizeof tss; /* no I/O permission bitmap */
    /* 16-byte TSS descriptor (SDM §8.2.3): limit 0x67, type 0x9 (available 64-bit TSS), P = 1. */
    u64 base = (u64)&tss, limit = sizeof tss - 1;
    gdt[SEL_TSS / 8] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89UL << 40 | (limit >> 16 & 0xF) << 48 |
                       (base >> 24 & 0xFF) << 56;
    gdt[SEL_TSS / 8 + 1] = base >> 32;
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}

/* An exception outside a check: the frame is vector, error code, RIP, CS, RFLAGS, RSP, SS. */
void unexpected_trap(const u64 *frame)
{
    u64 cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    puts("HWC ERROR unexpected exception vector=");
    puthex(frame[0]);
    puts(" error=");
    puthex(frame[1]);
    puts(" rip=");
    puthex(frame[2]);
    puts(" cs=");
    puthex(frame[3]);
    puts(" cr2=");
    puthex(cr2);
    puts("\n");
    power_off();
}

/* An entry read (docs/hardware-checks.md section 2, access 3): the 8 bytes at physical pa, read through the phase's
 * reg1, the CR3 of the entry reader table (the table window identity-mapped), since long mode cannot turn paging off;
 * then the phase's own CR3 again (each MOV to CR3 invalidates the TLB, CR4.PGE = 0: SDM §4.10.4.1). The reader table
 * has the same support mappings, so the kernel runs on through the switch. */
static u64 read_entry(u64 pa, u64 reader, u64 cr3)
{
    u64 value;
    __asm__ volatile("mov %1, %%cr3\n\tmovq (%2), %0\n\tmov %3, %%cr3"
                     : "=&r"(value) : "r"(reader), "r"(pa), "r"(cr3) : "memory");
    return value;
}

void kmain(void)
{
    setup_traps();
    const volatile u64 *h = (const volatile u64 *)LIST;
    u64 phases = h[3], checks = h[4];
    /* boot.S checked that the offsets are below 4 MiB. */
    if (phases > 0x400000 / 64 || checks > 0x400000 / 32 || h[6] + 64 * phases > 0x400000 ||
        h[7] + 32 * checks > 0x400000)
        fail("list records beyond 4 MiB");
    const volatile u64 *phase = (const volatile u64 *)(LIST + h[6]);
    const volatile u64 *check = (const volatile u64 *)(LIST + h[7]);
    u64 next = 0;
    for (u64 p = 0; p < phases; p++, phase += 8) {
        if (phase[0] != next || phase[1] > checks - next) fail("phases do not cover the checks in order");
        if (p > 0) {
            /* HWC PHASE 0 came from boot.S before paging was turned on with this same CR3. */
            puts("HWC PHASE ");
            putdec(p);
            puts("\n");
        }
        /* Load the phase's CR3; with CR4.PGE = 0 this invalidates the whole TLB. */
        __asm__ volatile("mov %0, %%cr3" ::"r"(phase[2]) : "memory");
        for (u64 i = phase[0]; i < phase[0] + phase[1]; i++) {
            const volatile u64 *c = check + 4 * i;
            long faulted = 0;
            if (c[1] == ACCESS_ENTRY_READ) {
                if (c[2] != 0 || (c[0] & 7) != 0 || c[0] < TABLES || c[0] >= TABLES_END || phase[3] == 0)
                    fail("bad entry read (or no entry reader table in reg1)");
                check_value = read_entry(c[0], phase[3], phase[2]);
            } else if (c[1] > 2 || c[2] > 1) {
                fail("bad check record");
            } else {
                faulted = run_check(c[0], c[1], c[2], c[3]);
            }
            puts("HWC ");
            putdec(i);
            if (faulted) {
                puts(" FAULT ");
                puthex(check_cause);
                puts(" ");
                puthex(check_address);
            } else {
                puts(" OK ");
                puthex(check_value);
            }
            puts("\n");
        }
        next += phase[1];
    }
    if (next != checks) fail("phases do not cover the checks in order");
    puts("HWC END ");
    putdec(checks);
    puts("\n");
    power_off();
}
