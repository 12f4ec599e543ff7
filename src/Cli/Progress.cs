using IaasApi.Client;
using IaasApi.Client.Models;

namespace IaasApi.Cli;

/// <summary>
/// Follows long work to its end — an operation (create, delete, actions, drains, evacuations) or a migration — drawing
/// a progress bar on a terminal (redrawn in place) or a line per change elsewhere (logs, pipes), on stderr so stdout
/// keeps only the result. Ends with the exit code a script tests: 0 succeeded, 3 failed or cancelled, 4 still running
/// at the timeout.
/// </summary>
public sealed class Progress(TextWriter stderr, bool interactive, TimeSpan poll, TimeSpan timeout)
{
    public Task<int> OperationAsync(IaasApiClient client, Guid operationId, CancellationToken ct) => FollowAsync(async () =>
    {
        var o = await client.V1.Operations[operationId].GetAsync(cancellationToken: ct) ?? throw new CliException("The operation vanished.", ExitCodes.ApiError);
        var state = o.Status switch
        {
            OperationStatus.Succeeded => Ended.Succeeded,
            OperationStatus.Failed or OperationStatus.Cancelled => Ended.Failed,
            _ => Ended.No,
        };
        var note = o.Waiting == true ? $"waiting: {o.StatusReason}" : o.Error?.Detail ?? o.StatusReason;
        return (o.Progress ?? 0, $"{o.Kind} {(o.Status is { } status ? EnumWords.Of(status) : "unknown")}", note, state);
    }, ct);

    public Task<int> MigrationAsync(IaasApiClient client, Guid migrationId, CancellationToken ct) => FollowAsync(async () =>
    {
        var m = await client.V1.Migrations[migrationId].GetAsync(cancellationToken: ct) ?? throw new CliException("The migration vanished.", ExitCodes.ApiError);
        var state = m.Status switch { "completed" => Ended.Succeeded, "queued" or "running" => Ended.No, _ => Ended.Failed };
        var detail = m.Status == "completed" && m.DowntimeMs is { } downtime ? $"downtime {downtime:0.#} ms" : m.Reason;
        return (m.Progress ?? 0, $"{m.Type} migration {m.Status}{(m.Stage is { } stage ? $" ({stage})" : "")}", detail, state);
    }, ct);

    private enum Ended { No, Succeeded, Failed }

    private async Task<int> FollowAsync(Func<Task<(int Progress, string What, string? Note, Ended State)>> read, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? last = null;
        while (true)
        {
            var (progress, what, note, state) = await read();
            var line = $"{Bar(progress)} {progress,3}%  {what}{(string.IsNullOrEmpty(note) ? "" : $" — {note}")}";
            if (interactive) await stderr.WriteAsync($"\r{line}\u001b[K");
            else if (line != last) await stderr.WriteLineAsync(line);
            last = line;
            if (state != Ended.No || DateTime.UtcNow >= deadline)
            {
                if (interactive) await stderr.WriteLineAsync();
                if (state == Ended.No) await stderr.WriteLineAsync($"Still running after {timeout.TotalSeconds:0} s (--timeout); it goes on without this command.");
                return state switch { Ended.Succeeded => ExitCodes.Ok, Ended.Failed => ExitCodes.WorkFailed, _ => ExitCodes.Timeout };
            }
            await Task.Delay(poll, ct);
        }
    }

    private static string Bar(int progress)
    {
        var filled = Math.Clamp(progress, 0, 100) * 30 / 100;
        return "[" + new string('#', filled) + new string('.', 30 - filled) + "]";
    }
}
