using System.Security.Cryptography;

namespace IaasApi.Domain.Common;

/// <summary>
/// UUID v7 ids that are strictly increasing within a process (RFC 9562 method 1: a 12-bit counter in
/// <c>rand_a</c> for ids minted in the same millisecond). Lists page by id, so "newer id" must mean "created later"
/// even for a batch of instances created in one request. Across processes ids are ordered to the millisecond.
/// </summary>
public static class Ids
{
    private static readonly Lock Gate = new();
    private static long _lastMillis;
    private static int _counter;

    public static Guid New()
    {
        long millis;
        int counter;
        lock (Gate)
        {
            millis = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _lastMillis);
            if (millis == _lastMillis)
            {
                if (++_counter > 0xFFF) { millis++; _counter = 0; }
            }
            else
            {
                _counter = 0;
            }
            _lastMillis = millis;
            counter = _counter;
        }

        Span<byte> b = stackalloc byte[16];
        RandomNumberGenerator.Fill(b[8..]);
        for (var i = 0; i < 6; i++) b[i] = (byte)(millis >> (8 * (5 - i)));
        b[6] = (byte)(0x70 | ((counter >> 8) & 0x0F));
        b[7] = (byte)counter;
        b[8] = (byte)(0x80 | (b[8] & 0x3F));
        return new Guid(b, bigEndian: true);
    }
}
