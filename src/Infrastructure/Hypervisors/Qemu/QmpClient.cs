using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>A QMP error answer (<c>{"error": {"class", "desc"}}</c>), or the connection lost while waiting for one.</summary>
public sealed class QmpException(string errorClass, string description) : Exception($"QMP {errorClass}: {description}")
{
    /// <summary>QEMU's error class (<c>GenericError</c>, <c>CommandNotFound</c>, <c>DeviceNotFound</c>…), or <c>Disconnected</c>.</summary>
    public string ErrorClass { get; } = errorClass;
    public string Description { get; } = description;
}

/// <summary>An asynchronous QMP event (<c>STOP</c>, <c>RESUME</c>, <c>MIGRATION</c>, <c>BLOCK_JOB_READY</c>…) and when it arrived.</summary>
public sealed record QmpEvent(string Name, JsonObject? Data, DateTimeOffset ReceivedAt);

/// <summary>
/// A client of the QEMU Machine Protocol: JSON messages, one per line, over the VM's unix socket. Connecting reads the
/// greeting and negotiates capabilities (<c>qmp_capabilities</c>); then commands may be issued concurrently — each
/// carries an <c>id</c> its answer echoes — while a reader loop routes answers to their callers and keeps every
/// event for <see cref="WaitForEventAsync"/>. If QEMU goes away, every pending command fails with
/// <see cref="QmpException"/> of class <c>Disconnected</c>.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonNode?>> _pending = new();
    private readonly List<QmpEvent> _events = [];
    private readonly Lock _eventGate = new();
    private readonly CancellationTokenSource _closing = new();
    private TaskCompletionSource _eventArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _readLoop = Task.CompletedTask;
    private long _nextId;
    private volatile bool _disconnected;

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, new UTF8Encoding(false));
    }

    /// <summary>QEMU's greeting: <c>{"version": {"qemu": {"major", "minor", "micro"}}, "capabilities": [...]}</c>.</summary>
    public JsonObject Greeting { get; private set; } = [];

    public bool IsConnected => !_disconnected;

    /// <summary>
    /// Connects to the socket QEMU serves (retrying while QEMU is still creating it, up to <paramref name="timeout"/>),
    /// reads the greeting and leaves capabilities negotiation mode.
    /// </summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                var client = new QmpClient(socket);
                await client.HandshakeAsync(deadline, ct);
                return client;
            }
            catch (Exception ex) when (ex is SocketException or IOException && DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                await Task.Delay(10, ct);                                       // QEMU is creating its socket: look again soon
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    private async Task HandshakeAsync(DateTime deadline, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Max(deadline - DateTime.UtcNow, TimeSpan.FromSeconds(1)));
        var line = await _reader.ReadLineAsync(limit.Token) ?? throw new IOException("QEMU closed the QMP socket before its greeting.");
        Greeting = JsonNode.Parse(line)?["QMP"]?.AsObject() ?? throw new IOException($"Not a QMP greeting: {line}");
        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
        await ExecuteAsync("qmp_capabilities", null, limit.Token);
    }

    /// <summary>
    /// Runs <paramref name="command"/> with <paramref name="arguments"/> (an object serialised as JSON, or null) and
    /// returns its <c>return</c> value; a QMP error answer throws <see cref="QmpException"/>.
    /// </summary>
    public async Task<JsonNode?> ExecuteAsync(string command, object? arguments = null, CancellationToken ct = default)
    {
        if (_disconnected) throw new QmpException("Disconnected", "The QMP connection is closed.");
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        var message = new JsonObject { ["execute"] = command, ["id"] = id };
        if (arguments is not null) message["arguments"] = arguments as JsonNode ?? JsonSerializer.SerializeToNode(arguments, Json);
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString() + "\n");
        await _writeGate.WaitAsync(ct);
        try
        {
            await _stream.WriteAsync(bytes, ct);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            _pending.TryRemove(id, out _);
            throw new QmpException("Disconnected", $"Writing '{command}' failed: {ex.Message}");
        }
        finally
        {
            _writeGate.Release();
        }
        if (_disconnected) answer.TrySetException(new QmpException("Disconnected", "The QMP connection closed."));
        using var registration = ct.Register(() => { if (_pending.TryRemove(id, out var pending)) pending.TrySetCanceled(ct); });
        return await answer.Task;
    }

    /// <summary>Every event received so far (in order), optionally only those named <paramref name="name"/>.</summary>
    public IReadOnlyList<QmpEvent> Events(string? name = null)
    {
        lock (_eventGate) return _events.Where(e => name is null || e.Name == name).ToList();
    }

    /// <summary>
    /// The first event named <paramref name="name"/> (matching <paramref name="where"/>) received after
    /// <paramref name="after"/> (default: ever), waiting up to <paramref name="timeout"/>.
    /// </summary>
    public async Task<QmpEvent> WaitForEventAsync(string name, TimeSpan timeout, Func<QmpEvent, bool>? where = null, DateTimeOffset? after = null,
                                                  CancellationToken ct = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        while (true)
        {
            Task arrived;
            lock (_eventGate)
            {
                var found = _events.FirstOrDefault(e => e.Name == name && (after is null || e.ReceivedAt >= after) && (where is null || where(e)));
                if (found is not null) return found;
                if (_disconnected) throw new QmpException("Disconnected", $"The QMP connection closed before {name}.");
                arrived = _eventArrived.Task;
            }
            try
            {
                await arrived.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"No {name} event within {timeout.TotalSeconds:0.#} s.");
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                var line = await _reader.ReadLineAsync(_closing.Token);
                if (line is null) break;
                if (line.Length == 0) continue;
                var message = JsonNode.Parse(line)?.AsObject();
                if (message is null) continue;
                if (message["event"]?.GetValue<string>() is { } name)
                {
                    lock (_eventGate)
                    {
                        _events.Add(new QmpEvent(name, message["data"]?.AsObject(), DateTimeOffset.UtcNow));
                        _eventArrived.TrySetResult();
                        _eventArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                    continue;
                }
                if (message["id"]?.GetValue<long>() is not { } id || !_pending.TryRemove(id, out var waiter)) continue;
                if (message["error"] is JsonObject error)
                    waiter.TrySetException(new QmpException(error["class"]?.GetValue<string>() ?? "GenericError", error["desc"]?.GetValue<string>() ?? ""));
                else
                    waiter.TrySetResult(message["return"]?.DeepClone());
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or JsonException)
        {
            // The connection ended (QEMU quit or was killed): fall through and fail what waits.
        }
        _disconnected = true;
        foreach (var id in _pending.Keys)
            if (_pending.TryRemove(id, out var waiter)) waiter.TrySetException(new QmpException("Disconnected", "QEMU closed the QMP connection."));
        lock (_eventGate) _eventArrived.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        _closing.Cancel();
        _socket.Shutdown(SocketShutdown.Both);
        _socket.Dispose();
        try { await _readLoop; } catch { /* already failing the waiters */ }
        _reader.Dispose();
        await _stream.DisposeAsync();
        _writeGate.Dispose();
        _closing.Dispose();
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
