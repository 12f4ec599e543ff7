using System.CommandLine;

namespace IaasApi.Cli;

public sealed partial class CliApp
{
    /// <summary>
    /// <c>iaas completion bash|zsh</c>: a script that completes commands, options and values from the CLI itself (System.
    /// CommandLine's <c>[suggest:position]</c> directive), so it never falls behind the commands.
    /// </summary>
    private static Command CompletionCommand(TextWriter stdout)
    {
        var shell = new Argument<string>("shell") { Description = "bash or zsh." };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print a shell completion script: eval \"$(iaas completion bash)\" (or add it to ~/.bashrc; zsh likewise).") { shell };
        command.SetAction(async (p, ct) =>
        {
            if (p.GetValue(shell) == "zsh") await stdout.WriteLineAsync("autoload -U +X bashcompinit && bashcompinit");
            await stdout.WriteAsync(BashCompletion);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Hands the line after the program's name, and the cursor's place in it, to <c>iaas [suggest:N]</c>.</summary>
    internal const string BashCompletion = """
        _iaas_complete() {
            local program="${COMP_WORDS[0]}"
            local line="${COMP_LINE:0:COMP_POINT}"
            local rest="${line#"$program"}"
            rest="${rest# }"
            local IFS=$'\n'
            COMPREPLY=( $(compgen -W "$("$program" "[suggest:${#rest}]" "$rest" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
        }
        complete -o default -F _iaas_complete iaas

        """;
}
