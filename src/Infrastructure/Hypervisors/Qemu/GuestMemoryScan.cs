using System.Buffers.Binary;
using System.Globalization;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>
/// How much of a guest's memory is non-zero: what the first pre-copy round must really send (QEMU sends a zero page as
/// a flag, a written one whole). The guest's RAM is one anonymous mapping of exactly its size in the QEMU process
/// (<c>/proc/&lt;pid&gt;/maps</c>); <c>/proc/&lt;pid&gt;/pagemap</c> says which of its pages are resident, and those are read
/// from <c>/proc/&lt;pid&gt;/mem</c> and counted non-zero — about 30 ms for 100 MiB resident. A guest larger than
/// 256 MiB is sampled instead (16,384 pages at random, the share found non-zero scaled to its size: within about 1 % of
/// its memory, at a bounded cost whatever its size). Reading another process's memory needs the agent to be its parent
/// or root; otherwise the resident size (which also counts pages the guest touched and zeroed again) is the estimate.
/// </summary>
public static class GuestMemoryScan
{
    private const int PageSize = 4096;
    private const double MiB = 1024 * 1024;
    private const int FullScanPages = 65_536;
    private const int SamplePages = 16_384;

    /// <summary>
    /// Non-zero MiB of the guest's RAM (or, failing that, its resident MiB); null when the mapping is not found. Guests
    /// above <paramref name="fullScanMiB"/> are sampled.
    /// </summary>
    public static double? NonZeroMiB(int pid, int memoryMiB, int fullScanMiB = FullScanPages / 256)
    {
        if (GuestRam(pid, memoryMiB) is not var (start, end)) return null;
        try
        {
            return Scan(pid, start, end, fullScanMiB * 256L) / MiB;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ResidentMiB(pid, start);
        }
    }

    /// <summary>The address range of the guest's RAM: the largest mapping of exactly <paramref name="memoryMiB"/> MiB.</summary>
    private static (ulong Start, ulong End)? GuestRam(int pid, int memoryMiB)
    {
        var size = (ulong)memoryMiB * 1024 * 1024;
        foreach (var line in File.ReadLines($"/proc/{pid}/maps"))
        {
            var range = line.AsSpan(0, line.IndexOf(' '));
            var dash = range.IndexOf('-');
            var start = ulong.Parse(range[..dash], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var end = ulong.Parse(range[(dash + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (end - start == size && line.Contains(" rw-", StringComparison.Ordinal)) return (start, end);
        }
        return null;
    }

    private static long Scan(int pid, ulong start, ulong end, long fullScanPages)
    {
        var pages = (long)((end - start) / PageSize);
        return pages <= fullScanPages ? ScanAll(pid, start, (int)pages) : Sample(pid, start, pages);
    }

    /// <summary>Random pages of a large guest: the non-zero share of the sample, times its size.</summary>
    private static long Sample(int pid, ulong start, long pages)
    {
        using var pagemap = new FileStream($"/proc/{pid}/pagemap", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        using var mem = new FileStream($"/proc/{pid}/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var random = new Random(pid);
        Span<byte> entry = stackalloc byte[8];
        var page = new byte[PageSize];
        var nonZero = 0;
        for (var i = 0; i < SamplePages; i++)
        {
            var index = random.NextInt64(pages);
            pagemap.Position = (long)(start / PageSize + (ulong)index) * 8;
            pagemap.ReadExactly(entry);
            if (BinaryPrimitives.ReadUInt64LittleEndian(entry) >> 62 == 0) continue;   // never touched: zero
            mem.Position = (long)(start + (ulong)index * PageSize);
            mem.ReadExactly(page);
            if (page.AsSpan().ContainsAnyExcept((byte)0)) nonZero++;
        }
        return (long)((double)nonZero / SamplePages * pages) * PageSize;
    }

    private static long ScanAll(int pid, ulong start, int pages)
    {
        var entries = new byte[pages * 8];
        using (var pagemap = new FileStream($"/proc/{pid}/pagemap", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None))
        {
            pagemap.Position = (long)(start / PageSize * 8);
            pagemap.ReadExactly(entries);
        }
        using var mem = new FileStream($"/proc/{pid}/mem", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
        var buffer = new byte[256 * PageSize];
        long nonZero = 0;
        for (var page = 0; page < pages;)
        {
            if (!Present(entries, page)) { page++; continue; }
            var run = 1;                                                         // a run of resident pages, read at once
            while (page + run < pages && run < 256 && Present(entries, page + run)) run++;
            mem.Position = (long)(start + (ulong)page * PageSize);
            var chunk = buffer.AsSpan(0, run * PageSize);
            mem.ReadExactly(chunk);
            for (var i = 0; i < run; i++)
                if (chunk.Slice(i * PageSize, PageSize).ContainsAnyExcept((byte)0)) nonZero += PageSize;
            page += run;
        }
        return nonZero;
    }

    /// <summary>pagemap bit 63: the page is in RAM (bit 62: swapped — counted too, it was written).</summary>
    private static bool Present(byte[] entries, int page) => (BinaryPrimitives.ReadUInt64LittleEndian(entries.AsSpan(page * 8)) >> 62) != 0;

    private static double? ResidentMiB(int pid, ulong start)
    {
        var header = start.ToString("x", CultureInfo.InvariantCulture) + "-";
        var inside = false;
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            if (line.StartsWith(header, StringComparison.Ordinal)) inside = true;
            else if (inside && line.StartsWith("Rss:", StringComparison.Ordinal))
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        return null;
    }
}
