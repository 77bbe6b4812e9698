/* LoongArch64 checker kernel (docs/hardware-checks.md): reads the check list, writes the patches, loads each
 * phase's PGDL/PGDH/PWCL/PWCH/STLBPS/TLBREHI and prints one line per check on the 16550 UART. Builds no page
 * table. References are to the LoongArch Reference Manual, Volume 1 (v1.10). */
typedef unsigned long u64;
typedef unsigned char u8;

/* Physical addresses are reached through their DMW0 (cached) or DMW2 (uncached) aliases (5.2.1). */
#define DMW0(pa) (0x8000000000000000UL | (u64)(pa))
#define DMW2(pa) (0xA000000000000000UL | (u64)(pa))

#define LIST 0x1000000UL
#define UART ((volatile u8 *)DMW2(0x1FE001E0UL))
#define MAGIC 0x314B484354574850UL /* "PHWTCHK1" */
#define ARCH_LA64 5

#define DATA_START 0xC0000000UL
#define DATA_END 0x140000000UL
#define TABLES 0x2000000UL
#define TABLES_END (TABLES + 0x2000000UL)

/* The page walk layout the refill handler implements (start.S); docs/hardware-checks.md section 4. */
#define PWCL_EXPECTED 0x13E4D52CUL
#define PWCH_EXPECTED 0x267UL

/* ESTAT (7.4.6): Ecode in bits 21:16, EsubCode in bits 30:22. */
#define ECODE(estat) (((estat) >> 16) & 0x3f)
#define ECODE_PIL 0x1
#define ECODE_PNX 0x6
#define ECODE_PPI 0x7
#define ECODE_ADE 0x8

enum { ACCESS_LOAD = 0, ACCESS_STORE = 1, ACCESS_FETCH = 2, ACCESS_ENTRY_READ = 3 };

long hwc_access(u64 va, u64 access, u64 privilege, u64 value, u64 out[2]);

#define csr_read(csr) ({ u64 v_; __asm__ volatile("csrrd %0, %1" : "=r"(v_) : "i"(csr)); v_; })
#define csr_write(csr, val) do { u64 v_ = (val); __asm__ volatile("csrwr %0, %1" : "+r"(v_) : "i"(csr) : "memory"); } while (0)

#define CSR_CRMD 0x0
#define CSR_ESTAT 0x5
#define CSR_TLBIDX 0x10
#define CSR_TLBEHI 0x11
#define CSR_TLBELO0 0x12
#define CSR_TLBELO1 0x13
#define CSR_ASID 0x18
#define CSR_PGDL 0x19
#define CSR_PGDH 0x1a
#define CSR_PWCL 0x1c
#define CSR_PWCH 0x1d
#define CSR_STLBPS 0x1e
#define CSR_TLBREHI 0x8e

static void putc(char c)
{
    while ((UART[5] & 0x20) == 0) { } /* LSR.THRE */
    UART[0] = (u8)c;
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

static void halt(void)
{
    /* docs/hardware-checks.md section 4: the runner stops QEMU; IDLE with interrupts off waits for good (4.2.6). */
    for (;;) __asm__ volatile("idle 0");
}

static void fail(const char *why)
{
    puts("HWC ERROR ");
    puts(why);
    puts("\n");
    halt();
}

/* Called by trap_entry for an exception outside a check. */
void hwc_unexpected(u64 estat, u64 era, u64 badv)
{
    puts("HWC ERROR unexpected exception estat=");
    puthex(estat);
    puts(" era=");
    puthex(era);
    puts(" badv=");
    puthex(badv);
    puts("\n");
    halt();
}

/* Reads the TLB entry that translates va (TLBSRCH, TLBRD: 4.2.4; TLBEHI, TLBIDX, TLBELO0/1: 7.5.1-7.5.3) and
 * returns the TLBELO half that holds va; 0 when no entry matches. */
static int tlb_lookup(u64 va, u64 *lo)
{
    csr_write(CSR_TLBEHI, va & ~0x1fffUL);
    __asm__ volatile("tlbsrch" ::: "memory");
    u64 idx = csr_read(CSR_TLBIDX);
    if ((idx >> 31) & 1) return 0; /* NE */
    __asm__ volatile("tlbrd" ::: "memory");
    idx = csr_read(CSR_TLBIDX);
    u64 ps = (idx >> 24) & 0x3f;
    *lo = ((va >> ps) & 1) ? csr_read(CSR_TLBELO1) : csr_read(CSR_TLBELO0);
    return 1;
}

static void invalidate_tlb(void)
{
    /* INVTLB op 0: every entry (4.2.4). */
    __asm__ volatile("invtlb 0, $zero, $zero" ::: "memory");
}

/* Whether QEMU 7.2 raises an address error for va itself: bits 63:48 not all equal (docs/hardware-checks.md
 * section 4, address ranges). */
static int address_error(u64 va)
{
    u64 top = va >> 48;
    return top != 0 && top != 0xffff;
}

/* A fetch check. QEMU 7.2 loops forever instead of delivering a PNX, or a PPI raised by a fetch, because it then
 * reads the faulting instruction into BADI through the same translation (docs/hardware-checks.md section 9). So the
 * kernel first loads from va at the check's privilege, which fills the TLB through the refill handler:
 * - the load faults with PIL (invalid entry), or with ADE for an address outside the checked range: the real
 *   fetch is safe (PIF or ADEF) and is performed;
 * - the load faults with another page exception (PPI: a PLV3 access to a PLV0 page): that fault is the fetch's
 *   fault too;
 * - otherwise (the load succeeded, or translated and then raised ADEM for a physical address outside RAM, as
 *   QEMU 7.2 does) the TLB entry is read back: NX = 1 is reported as PNX with BADV = va, as the hardware would
 *   (5.4.4), and otherwise the real fetch is performed. */
static long run_fetch(u64 va, u64 privilege, u64 out[2])
{
    u64 probe[2];
    if (hwc_access(va, ACCESS_LOAD, privilege, 0, probe)) {
        u64 code = ECODE(probe[0]);
        if (code == ECODE_PIL || (code == ECODE_ADE && address_error(va)))
            return hwc_access(va, ACCESS_FETCH, privilege, 0, out);
        if (code != ECODE_ADE) {
            out[0] = probe[0];
            out[1] = probe[1];
            return 1;
        }
    }
    u64 lo;
    if (!tlb_lookup(va, &lo)) fail("no TLB entry for a fetch check after a translated load");
    if ((lo & 1) && ((lo >> 62) & 1)) {
        out[0] = (csr_read(CSR_ESTAT) & 0x1fffUL) | ((u64)ECODE_PNX << 16);
        out[1] = va;
        return 1;
    }
    return hwc_access(va, ACCESS_FETCH, privilege, 0, out);
}

static void load_phase(const u64 *phase, u64 k)
{
    if (phase[4] != PWCL_EXPECTED || phase[5] != PWCH_EXPECTED)
        fail("PWCL/PWCH other than the layout the refill handler walks");
    /* 7.5.4-7.5.10, 7.5.16: ASID 0; both roots; walk layout; STLB page size; refill page size. */
    csr_write(CSR_ASID, 0);
    csr_write(CSR_PGDL, phase[2]);
    csr_write(CSR_PGDH, phase[3]);
    csr_write(CSR_PWCL, phase[4]);
    csr_write(CSR_PWCH, phase[5]);
    csr_write(CSR_STLBPS, phase[6]);
    csr_write(CSR_TLBREHI, phase[7]);
    if (k == 0) {
        /* CRMD (7.4.1): DA = 0, PG = 1 turns on mapped address translation; DATF/DATM (bits 8:5) then no longer
         * apply. */
        u64 value = 0x10, mask = 0x18;
        __asm__ volatile("csrxchg %0, %1, 0x0" : "+r"(value) : "r"(mask) : "memory");
    }
    invalidate_tlb();
}

void hwc_main(void)
{
    const u64 *header = (const u64 *)DMW0(LIST);
    u64 phase_count = header[3], check_count = header[4], patch_count = header[5];
    u64 list_bytes = header[9];

    puts("HWC BEGIN La64 ");
    putdec(phase_count);
    putc(' ');
    putdec(check_count);
    putc('\n');

    if (header[0] != MAGIC) fail("bad magic");
    if (header[1] != 1) fail("unsupported version");
    if (header[2] != ARCH_LA64) fail("check list is not for La64");
    if (phase_count == 0) fail("no phase");
    if (list_bytes > 0x400000UL) fail("check list larger than 4 MiB");
    if (header[6] + phase_count * 64 > list_bytes || header[7] + check_count * 32 > list_bytes ||
        header[8] + patch_count * 16 > list_bytes)
        fail("record tables outside the check list");

    const u64 *phases = (const u64 *)DMW0(LIST + header[6]);
    const u64 *checks = (const u64 *)DMW0(LIST + header[7]);
    const u64 *patches = (const u64 *)DMW0(LIST + header[8]);

    u64 next = 0;
    for (u64 k = 0; k < phase_count; k++) {
        if (phases[k * 8] != next) fail("phases do not cover the checks in order");
        next += phases[k * 8 + 1];
    }
    if (next != check_count) fail("phases do not cover the checks in order");

    /* Patches, written with paging still off through DMW0, then made visible to instruction fetch (IBAR 0,
     * 2.2, barrier instructions). */
    for (u64 i = 0; i < patch_count; i++) {
        u64 pa = patches[i * 2], value = patches[i * 2 + 1];
        if ((pa & 7) != 0 || pa < DATA_START || pa >= DATA_END) fail("patch outside the data window");
        *(volatile u64 *)DMW0(pa) = value;
    }
    __asm__ volatile("dbar 0\n\tibar 0" ::: "memory");

    for (u64 k = 0; k < phase_count; k++) {
        const u64 *phase = &phases[k * 8];
        puts("HWC PHASE ");
        putdec(k);
        putc('\n');
        load_phase(phase, k);

        for (u64 i = phase[0]; i < phase[0] + phase[1]; i++) {
            const u64 *check = &checks[i * 4];
            u64 va = check[0], access = check[1], privilege = check[2], value = check[3];
            u64 out[2];
            if (access == ACCESS_ENTRY_READ) {
                /* An entry read (docs/hardware-checks.md section 2, access 3): the 8 bytes at physical va, through
                 * the kernel's own direct-mapped window DMW0, which no table walk takes part in (5.2.1). */
                if (privilege != 0 || (va & 7) != 0 || va < TABLES || va >= TABLES_END) fail("bad entry read");
                puts("HWC ");
                putdec(i);
                puts(" OK ");
                puthex(*(volatile u64 *)DMW0(va));
                putc('\n');
                continue;
            }
            if (access > ACCESS_FETCH || privilege > 1) fail("bad check record");
            /* Every check starts from an empty TLB, so it sees its own table entry only. This also empties QEMU's
             * own translation cache, whose 16 KiB pages would otherwise let one 4 KiB page's translation serve its
             * neighbours in the same 16 KiB block (docs/hardware-checks.md section 9). */
            invalidate_tlb();
            long faulted = access == ACCESS_FETCH ? run_fetch(va, privilege, out)
                                                  : hwc_access(va, access, privilege, value, out);
            puts("HWC ");
            putdec(i);
            if (faulted) {
                puts(" FAULT ");
                puthex(out[0]);
                putc(' ');
                puthex(out[1]);
            } else {
                puts(" OK ");
                puthex(out[0]);
            }
            putc('\n');
        }
    }

    puts("HWC END ");
    putdec(check_count);
    putc('\n');
    halt();
}
