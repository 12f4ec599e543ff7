namespace IaasApi.Api.Http;

/// <summary>
/// Limits every request meets before routing:
/// <list type="bullet">
/// <item>JSON bodies over 1 MiB are refused with 413 — by Content-Length before reading, and while reading for chunked
/// bodies (the stream enforces it, so the limit holds under any server, including the test server);</item>
/// <item>query values with control characters are refused with 400 (PostgreSQL text cannot hold NUL; no filter needs them).</item>
/// </list>
/// </summary>
internal sealed class RequestLimitsMiddleware(RequestDelegate next)
{
    public const long MaxBodyBytes = 1024 * 1024;

    public Task InvokeAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
            throw new BadHttpRequestException($"The request body is larger than {MaxBodyBytes} bytes.", StatusCodes.Status413PayloadTooLarge);
        if (http.Request.ContentLength is null && (http.Request.Method is "POST" or "PUT" or "PATCH"))
            http.Request.Body = new LimitedReadStream(http.Request.Body, MaxBodyBytes);
        foreach (var (name, values) in http.Request.Query)
            if (values.Any(v => v is not null && v.Any(char.IsControl)))
                throw new FieldValidationException(name, $"The query parameter '{name}' must not contain control characters.");
        return next(http);
    }

    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            Count(await inner.ReadAsync(buffer, ct));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        private int Count(int n)
        {
            _read += n;
            if (_read > limit)
                throw new BadHttpRequestException($"The request body is larger than {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
