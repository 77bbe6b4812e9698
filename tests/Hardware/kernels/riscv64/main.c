/* Checker kernel for RISC-V Sv39/Sv48 (docs/hardware-checks.md): reads the check list, writes the patches,
 * switches satp per phase and prints one line per check on the 16550 UART. Builds no page table. */
typedef unsigned long u64;
typedef unsigned char u8;

#define LIST 0x81000000UL
#define UART ((volatile u8 *)0x10000000UL)
#define MAGIC 0x314B484354574850UL /* "PHWTCHK1" */
#define TABLES 0x82000000UL
#define TABLES_END (TABLES + 0x2000000UL)
#define ACCESS_ENTRY_READ 3

long run_check(u64 va, u64 access, u64 privilege, u64 value);
extern volatile u64 check_value, check_cause, check_tval;

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

static void sbi_shutdown(void)
{
    /* SBI System Reset extension (EID "SRST"), function 0: reset type 0 = shutdown, reason 0. */
    register u64 a0 __asm__("a0") = 0, a1 __asm__("a1") = 0;
    register u64 a6 __asm__("a6") = 0, a7 __asm__("a7") = 0x53525354;
    __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
}

static void fail(const char *why)
{
    puts("HWC ERROR ");
    puts(why);
    puts("\n");
    sbi_shutdown();
}

void unexpected_trap(u64 cause, u64 tval, u64 epc)
{
    puts("HWC ERROR unexpected trap scause=");
    puthex(cause);
    puts(" stval=");
    puthex(tval);
    puts(" sepc=");
    puthex(epc);
    puts("\n");
    sbi_shutdown();
}

/* An entry read (docs/hardware-checks.md section 2, access 3): the 8 bytes at physical pa, with translation off
 * (satp.MODE = Bare) so that the table under test is not walked; then the phase's satp again. SFENCE.VMA after each
 * satp write orders it with the accesses around it (Privileged spec, satp and SFENCE.VMA). The kernel runs at the same
 * addresses either way: its support mappings are identity mappings. */
static u64 read_entry(u64 pa, u64 satp)
{
    u64 value;
    __asm__ volatile("csrw satp, zero\n\tsfence.vma zero, zero\n\tld %0, 0(%1)\n\tcsrw satp, %2\n\tsfence.vma zero, zero"
                     : "=&r"(value) : "r"(pa), "r"(satp) : "memory");
    return value;
}

void kmain(void)
{
    const volatile u64 *h = (const volatile u64 *)LIST;
    u64 arch = h[2], phases = h[3], checks = h[4], patches = h[5];
    const char *name = arch == 3 ? "Sv39" : arch == 4 ? "Sv48" : "?";
    puts("HWC BEGIN ");
    puts(name);
    puts(" ");
    putdec(phases);
    puts(" ");
    putdec(checks);
    puts("\n");
    if (h[0] != MAGIC) { fail("bad magic"); return; }
    if (h[1] != 1) { fail("unsupported version"); return; }
    if (arch != 3 && arch != 4) { fail("not a RISC-V check list"); return; }

    const volatile u64 *patch = (const volatile u64 *)(LIST + h[8]);
    for (u64 i = 0; i < patches; i++) *(volatile u64 *)patch[2 * i] = patch[2 * i + 1];
    __asm__ volatile("fence.i" ::: "memory");

    const volatile u64 *phase = (const volatile u64 *)(LIST + h[6]);
    const volatile u64 *check = (const volatile u64 *)(LIST + h[7]);
    for (u64 p = 0; p < phases; p++, phase += 8) {
        puts("HWC PHASE ");
        putdec(p);
        puts("\n");
        __asm__ volatile("csrw satp, %0\n\tsfence.vma zero, zero" :: "r"(phase[2]) : "memory");
        for (u64 i = phase[0]; i < phase[0] + phase[1]; i++) {
            const volatile u64 *c = check + 4 * i;
            long faulted;
            if (c[1] == ACCESS_ENTRY_READ) {
                if (c[2] != 0 || (c[0] & 7) != 0 || c[0] < TABLES || c[0] >= TABLES_END) { fail("bad entry read"); return; }
                check_value = read_entry(c[0], phase[2]);
                faulted = 0;
            } else if (c[1] > 2 || c[2] > 1) {
                fail("bad check record");
                return;
            } else {
                faulted = run_check(c[0], c[1], c[2], c[3]);
            }
            puts("HWC ");
            putdec(i);
            if (faulted) {
                puts(" FAULT ");
                puthex(check_cause);
                puts(" ");
                puthex(check_tval);
            } else {
                puts(" OK ");
                puthex(check_value);
            }
            puts("\n");
        }
    }
    puts("HWC END ");
    putdec(checks);
    puts("\n");
    sbi_shutdown();
}
