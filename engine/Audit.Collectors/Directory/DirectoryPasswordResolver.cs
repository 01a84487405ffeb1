using System.Text;
using Audit.Core;

namespace Audit.Collectors.Directory;

/// <summary>The console as the password prompt needs it; replaceable in tests.</summary>
public interface IPasswordTerminal
{
    /// <summary>True when standard input is an interactive terminal (not redirected).</summary>
    bool IsInteractive { get; }

    void Write(string text);

    /// <summary>Reads one key without echoing it.</summary>
    ConsoleKeyInfo ReadKeyNoEcho();
}

/// <summary>Finds the bind password: from a named environment variable, else from a no-echo prompt on a terminal.</summary>
public static class DirectoryPasswordResolver
{
    /// <summary>
    /// Returns the password held by <paramref name="environmentVariable"/> (the value of --directory-password-env) when
    /// given; otherwise prompts for it without echo when standard input is a terminal. Throws <see cref="InputException"/>
    /// with a clear message when the variable is unset or empty, or when no terminal is available to prompt.
    /// </summary>
    public static string Resolve(string? environmentVariable, string user, IPasswordTerminal? terminal = null, Func<string, string?>? getEnvironment = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!string.IsNullOrWhiteSpace(environmentVariable))
        {
            var value = (getEnvironment ?? Environment.GetEnvironmentVariable)(environmentVariable);
            if (string.IsNullOrEmpty(value))
            {
                // Not named back: a password given here by mistake must not be printed.
                throw new InputException("the environment variable named by --directory-password-env is not set or empty (its name is not repeated here, in case a password was given by mistake)");
            }
            return value;
        }
        terminal ??= new SystemPasswordTerminal();
        if (!terminal.IsInteractive)
        {
            throw new InputException($"a directory password is needed for '{user}' but standard input is not a terminal: pass --directory-password-env NAME with the password in that environment variable");
        }
        terminal.Write($"LDAP password for {user}: ");
        var password = new StringBuilder();
        while (true)
        {
            var key = terminal.ReadKeyNoEcho();
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (password.Length > 0)
                {
                    password.Length--;
                }
                continue;
            }
            if (key.Key == ConsoleKey.Escape)
            {
                terminal.Write(Environment.NewLine);
                throw new InputException("password entry cancelled");
            }
            if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }
        terminal.Write(Environment.NewLine);
        if (password.Length == 0)
        {
            throw new InputException($"an empty directory password was entered for '{user}'");
        }
        return password.ToString();
    }

    private sealed class SystemPasswordTerminal : IPasswordTerminal
    {
        public bool IsInteractive => !Console.IsInputRedirected;

        public void Write(string text) => Console.Error.Write(text);

        public ConsoleKeyInfo ReadKeyNoEcho() => Console.ReadKey(intercept: true);
    }
}
