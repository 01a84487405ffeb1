namespace Audit.Cli;

/// <summary>Secrets given on the command line by mistake, kept out of the messages that repeat it.</summary>
internal static class CommandLineSecrets
{
    /// <summary>
    /// Values that look like secrets on the command line: what follows an option whose name speaks of a password,
    /// secret, token, credential or key, misspelt too (--pasword, --pswd, --secrte, --tokn), as the next argument or
    /// after '='. audit takes no secret on the command line; when one is given by mistake, error messages must not
    /// repeat it.
    /// </summary>
    public static IReadOnlyList<string> In(string[] args)
    {
        var secrets = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith('-') || !System.Text.RegularExpressions.Regex.IsMatch(a, "pa?s+w|pw|secr|tok|cred|key", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
            {
                continue;
            }
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && eq < a.Length - 1)
            {
                secrets.Add(a[(eq + 1)..]);
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                secrets.Add(args[i + 1]);
            }
        }
        return secrets;
    }

    public static string Redact(string text, IReadOnlyList<string> secrets) =>
        secrets.Where(s => s.Length > 0).Aggregate(text, (t, s) => t.Replace(s, "********", StringComparison.Ordinal));
}
