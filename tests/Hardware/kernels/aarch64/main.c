/* Checker kernel for AArch64: reads the check list, writes the patches, runs every phase's checks and
 * prints the results (docs/hardware-checks.md, sections 2, 3, 4 "AArch64" and 6).
 * Serial port: the PL011 UART of QEMU's virt machine (Arm PrimeCell UART (PL011) Technical Reference Manual,
 * DDI 0183: UARTDR at +0x000, UARTFR at +0x018 with TXFF in bit 5). */

typedef unsigned long u64;

#define LIST 0x41000000UL
#define LIST_SPAN 0x400000UL
#define UART 0x09000000UL
#define DATA_START 0x80000000UL
#define DATA_END 0x100000000UL
#define TABLES 0x42000000UL
#define TABLES_END (TABLES + 0x2000000UL)
#define ACCESS_ENTRY_READ 3

#define MAGIC 0x314B484354574850UL /* "PHWTCHK1" */
#define VERSION 1
#define ARCH_A64 2

struct header {
    u64 magic, version, arch, phase_count, check_count, patch_count;
    u64 phases_offset, checks_offset, patches_offset, list_bytes;
    u64 reserved[6];
};

struct phase {
    u64 first_check, count;
    u64 ttbr0, ttbr1, mair, tcr, reg4, reg5;
};

struct check {
    u64 va, access, privilege, value;
};

struct patch {
    u64 pa, value;
};

long run_check(u64 va, u64 access, u64 privilege, u64 value);
u64 read_entry(u64 pa);
void mmu_on(u64 ttbr0, u64 ttbr1, u64 mair, u64 tcr);
void table_switch(u64 ttbr0, u64 ttbr1, u64 mair, u64 tcr);
void sync_icache(void);
void power_off(void) __attribute__((noreturn));
void halt(void) __attribute__((noreturn));
void kmain(u64 current_el);
void unexpected_exception(u64 vector, u64 esr, u64 elr, u64 far);

extern u64 check_value, check_cause, check_addr;

static void putc_serial(char c)
{
    volatile unsigned int *uart = (volatile unsigned int *)UART;
    while (uart[0x18 / 4] & (1u << 5)) /* UARTFR.TXFF: transmit FIFO full */
        ;
    uart[0] = (unsigned char)c;
}

static void puts_serial(const char *s)
{
    while (*s)
        putc_serial(*s++);
}

static void put_dec(u64 v)
{
    char buf[21];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc_serial(buf[--n]);
}

/* Exactly 16 lowercase hexadecimal digits (section 6). */
static void put_hex16(u64 v)
{
    for (int shift = 60; shift >= 0; shift -= 4)
        putc_serial("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void __attribute__((noreturn)) fail(const char *text)
{
    puts_serial("HWC ERROR ");
    puts_serial(text);
    puts_serial("\n");
    power_off();
}

void unexpected_exception(u64 vector, u64 esr, u64 elr, u64 far)
{
    puts_serial("HWC ERROR unexpected exception: vector offset ");
    put_hex16(vector);
    puts_serial(" ESR_EL1 ");
    put_hex16(esr);
    puts_serial(" ELR_EL1 ");
    put_hex16(elr);
    puts_serial(" FAR_EL1 ");
    put_hex16(far);
    puts_serial("\n");
    power_off();
}

/* The list is checked once, with the MMU off, so the phases and checks can be read without bounds checks. */
static void validate(const struct header *h)
{
    if (h->magic != MAGIC)
        fail("bad magic in the check list");
    if (h->version != VERSION)
        fail("unsupported check list version");
    if (h->arch != ARCH_A64)
        fail("the check list is not for A64");
    if (h->phase_count == 0)
        fail("the check list has no phase");
    /* The support mapping of the list covers [LIST, LIST + 4 MiB) (docs/hardware-checks.md section 4). */
    if (h->list_bytes < sizeof(struct header) || h->list_bytes > LIST_SPAN)
        fail("list_bytes is not between the header's size and 4 MiB");
    if (h->phases_offset % 8 || h->checks_offset % 8 || h->patches_offset % 8)
        fail("misaligned record offset");
    if (h->phases_offset > h->list_bytes || h->phase_count > (h->list_bytes - h->phases_offset) / sizeof(struct phase))
        fail("phase records beyond list_bytes");
    if (h->checks_offset > h->list_bytes || h->check_count > (h->list_bytes - h->checks_offset) / sizeof(struct check))
        fail("check records beyond list_bytes");
    if (h->patches_offset > h->list_bytes ||
        h->patch_count > (h->list_bytes - h->patches_offset) / sizeof(struct patch))
        fail("patch records beyond list_bytes");
    const struct phase *phases = (const struct phase *)(LIST + h->phases_offset);
    u64 next = 0;
    for (u64 k = 0; k < h->phase_count; k++) {
        if (phases[k].first_check != next || phases[k].count > h->check_count - next)
            fail("the phases do not cover the checks in order");
        next += phases[k].count;
    }
    if (next != h->check_count)
        fail("the phases do not cover the checks in order");
    const struct check *checks = (const struct check *)(LIST + h->checks_offset);
    for (u64 i = 0; i < h->check_count; i++) {
        const struct check *c = &checks[i];
        if (c->access == ACCESS_ENTRY_READ) {
            if (c->privilege != 0 || c->va % 8 || c->va < TABLES || c->va >= TABLES_END)
                fail("bad entry read");
        } else if (c->access > 2 || c->privilege > 1 || c->va % 16) {
            fail("bad check record");
        }
    }
}

/* Patches are written with the MMU off: data accesses are then to Device-nGnRnE memory at the physical
 * address (Arm ARM DDI 0487, D8, behavior when stage 1 translation is disabled), so they are 8-byte aligned. */
static void write_patches(const struct header *h)
{
    const struct patch *patches = (const struct patch *)(LIST + h->patches_offset);
    for (u64 i = 0; i < h->patch_count; i++) {
        u64 pa = patches[i].pa;
        if (pa % 8 || pa < DATA_START || pa > DATA_END - 8)
            fail("patch outside the data window");
        *(volatile u64 *)pa = patches[i].value;
    }
    sync_icache();
}

void kmain(u64 current_el)
{
    const struct header *h = (const struct header *)LIST;
    puts_serial("HWC BEGIN A64 ");
    put_dec(h->phase_count);
    putc_serial(' ');
    put_dec(h->check_count);
    puts_serial("\n");
    if (current_el != 1)
        fail("the kernel was not entered at EL1");
    validate(h);
    write_patches(h);

    const struct phase *phases = (const struct phase *)(LIST + h->phases_offset);
    const struct check *checks = (const struct check *)(LIST + h->checks_offset);
    for (u64 k = 0; k < h->phase_count; k++) {
        const struct phase *p = &phases[k];
        puts_serial("HWC PHASE ");
        put_dec(k);
        puts_serial("\n");
        /* TCR_EL1.HA (bit 39) / HD (bit 40) need FEAT_HAFDBS: ID_AA64MMFR1_EL1.HAFDBS (bits 3:0) = 1 for the Access
         * flag, 2 for dirty state as well (D17.2). */
        u64 mmfr1;
        __asm__ volatile("mrs %0, id_aa64mmfr1_el1" : "=r"(mmfr1));
        if ((p->tcr >> 39 & 1) && (mmfr1 & 0xf) < 1)
            fail("TCR_EL1.HA set but the CPU lacks FEAT_HAFDBS");
        if ((p->tcr >> 40 & 1) && (mmfr1 & 0xf) < 2)
            fail("TCR_EL1.HD set but the CPU lacks FEAT_HAFDBS dirty state");
        if (k == 0)
            mmu_on(p->ttbr0, p->ttbr1, p->mair, p->tcr);
        else
            table_switch(p->ttbr0, p->ttbr1, p->mair, p->tcr);
        for (u64 i = p->first_check; i < p->first_check + p->count; i++) {
            const struct check *c = &checks[i];
            long faulted = 0;
            if (c->access == ACCESS_ENTRY_READ)
                check_value = read_entry(c->va);
            else
                faulted = run_check(c->va, c->access, c->privilege, c->value);
            puts_serial("HWC ");
            put_dec(i);
            if (faulted) {
                puts_serial(" FAULT ");
                put_hex16(check_cause);
                putc_serial(' ');
                put_hex16(check_addr);
            } else {
                puts_serial(" OK ");
                put_hex16(check_value);
            }
            puts_serial("\n");
        }
    }
    puts_serial("HWC END ");
    put_dec(h->check_count);
    puts_serial("\n");
    power_off();
}
