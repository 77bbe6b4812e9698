// The package as a user receives it: the files the .nupkg and .snupkg must hold (args[0] is the folder `dotnet pack`
// wrote), then the example of src/Impl/PACKAGE.md, compiled against the packed library. Exits 1 on any difference.
using System.IO.Compression;
using PageTableMultiarch;

int failures = 0;
void Expect(bool ok, string what)
{
    if (ok) return;
    Console.Error.WriteLine($"package check failed: {what}");
    failures++;
}

string folder = args.Length > 0 ? args[0] : throw new ArgumentException("usage: PackageConsumer <folder with the .nupkg>");
string version = typeof(FrameArena).Assembly.GetName().Version!.ToString(3);
string nupkg = Path.Combine(folder, $"PageTableMultiarch.{version}.nupkg");
string snupkg = Path.Combine(folder, $"PageTableMultiarch.{version}.snupkg");
using (var package = ZipFile.OpenRead(nupkg))
{
    var names = package.Entries.Select(e => e.FullName).ToHashSet();
    foreach (string required in new[] { "README.md", "lib/net10.0/PageTableMultiarch.dll", "lib/net10.0/PageTableMultiarch.xml", "PageTableMultiarch.nuspec" })
        Expect(names.Contains(required), $"{Path.GetFileName(nupkg)} holds {required}");
    var nuspec = package.GetEntry("PageTableMultiarch.nuspec");
    string text = nuspec is null ? "" : new StreamReader(nuspec.Open()).ReadToEnd();
    Expect(text.Contains("<license type=\"expression\">MIT</license>", StringComparison.Ordinal), "the nuspec has the MIT license expression");
    Expect(text.Contains("<readme>README.md</readme>", StringComparison.Ordinal), "the nuspec names the README");
    var xml = package.GetEntry("lib/net10.0/PageTableMultiarch.xml");
    string docs = xml is null ? "" : new StreamReader(xml.Open()).ReadToEnd();
    Expect(docs.Contains("T:PageTableMultiarch.X64Pte", StringComparison.Ordinal), "the XML docs describe the types");
}
using (var symbols = ZipFile.OpenRead(snupkg))
    Expect(symbols.Entries.Any(e => e.FullName == "lib/net10.0/PageTableMultiarch.pdb"), $"{Path.GetFileName(snupkg)} holds the portable PDB");

using (var arena = new FrameArena(new PhysAddr(0x10_0000), 64))
using (var table = X64PageTable.TryCreate(arena).Value)
{
    var result = table.Map(new VirtAddr(0xdead_b000), new PhysAddr(0x20_0000), PageSize.Size4K,
                           MappingFlags.Read | MappingFlags.Write);
    Expect(result.IsOk, "Map returns a flush");
    if (result.IsOk) result.Value.Flush();

    var (paddr, flags, size) = table.Query(new VirtAddr(0xdead_b123)).Value;
    Expect(paddr == new PhysAddr(0x20_0123), $"Query gives the physical address (got {paddr})");
    Expect(flags == (MappingFlags.Read | MappingFlags.Write), $"Query gives the flags (got {flags})");
    Expect(size == PageSize.Size4K, $"Query gives the page size (got {size})");
    Expect(table.Map(new VirtAddr(0xdead_b000), new PhysAddr(0x20_0000), PageSize.Size4K, MappingFlags.Read).Error
        == PagingError.AlreadyMapped, "a second Map is refused with AlreadyMapped");
    Expect(table.Map(new VirtAddr(0xdead_b001), new PhysAddr(0x20_0000), PageSize.Size4K, MappingFlags.Read).Error
        == PagingError.NotAligned, "an unaligned Map is refused with NotAligned");
}

Console.WriteLine(failures == 0 ? "package check: the packed library works" : $"package check: {failures} failure(s)");
return failures == 0 ? 0 : 1;
