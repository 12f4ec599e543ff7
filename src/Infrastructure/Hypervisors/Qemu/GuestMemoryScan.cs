using System.Buffers.Binary;
using System.Globalization;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>
/// How much of a guest's memory is non-zero: what the first pre-copy round must really send (QEMU sends a zero page as
/// a flag, a written one whole). The guest's RAM is one anonymous mapping of exactly its size in the QEMU process
/// (<c>/proc/&lt;pid&gt;/maps</c>); <c>/proc/&lt;pid&gt;/pagemap</c> says which of its pages are resident, and those are read
/// from <c>/proc/&lt;pid&gt;/mem</c> and counted non-zero — about 30 ms for 100 MiB resident. Reading another process's
/// memory needs the agent to be its parent or root; otherwise the resident size (which also counts pages the guest
/// touched and zeroed again) is the estimate.
/// </summary>
public static class GuestMemoryScan
{
    private const int PageSize = 4096;
    private const double MiB = 1024 * 1024;

    /// <summary>Non-zero MiB of the guest's RAM (or, failing that, its resident MiB); null when the mapping is not found.</summary>
    public static double? NonZeroMiB(int pid, int memoryMiB)
    {
        if (GuestRam(pid, memoryMiB) is not var (start, end)) return null;
        try
        {
            return Scan(pid, start, end) / MiB;
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

    private static long Scan(int pid, ulong start, ulong end)
    {
        var pages = (int)((end - start) / PageSize);
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
