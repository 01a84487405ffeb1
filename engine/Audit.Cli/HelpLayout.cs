using System.CommandLine;
using System.Runtime.CompilerServices;
using System.Text;

namespace Audit.Cli;

/// <summary>
/// Option groups in help ('run --help' lists about 40 options). System.CommandLine 2.0 keeps its HelpBuilder internal,
/// so the library's help text is taken as written (same columns, wrapping and "[default: X]") and only its Options
/// section is regrouped: one titled section per group, in the order given, options in the order given; options not
/// in a group (--help) come last under "Other options:".
/// </summary>
internal static class HelpLayout
{
    private static readonly ConditionalWeakTable<Command, List<(string Title, Option[] Options)>> Groups = [];

    /// <summary>Adds a titled group of <paramref name="command"/>'s options to its help.</summary>
    public static void Group(Command command, string title, params Option[] options)
    {
        Groups.GetOrCreateValue(command).Add((title, options));
    }

    /// <summary>
    /// The usage line names the tool 'audit' as every message does, whatever the process is called (the library takes the
    /// executable's name: 'testhost' in tests, 'dotnet' hosts keep 'audit').
    /// </summary>
    public static string NameTool(string help, string executableName)
    {
        var usage = $"Usage:{Environment.NewLine}  {executableName}";
        var at = help.IndexOf(usage, StringComparison.Ordinal);
        return at < 0 || executableName == "audit" ? help : string.Concat(help.AsSpan(0, at), $"Usage:{Environment.NewLine}  audit", help.AsSpan(at + usage.Length));
    }

    /// <summary>The help text with its Options section regrouped; unchanged for a command without groups.</summary>
    public static string Regroup(Command command, string help)
    {
        if (!Groups.TryGetValue(command, out var groups) || groups.Count == 0)
        {
            return help;
        }
        var lines = help.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var start = Array.IndexOf(lines, "Options:");
        if (start < 0)
        {
            return help;
        }
        var end = start + 1;
        while (end < lines.Length && lines[end].Length > 0)
        {
            end++;
        }

        // One row per option: its first line ("  --name <X>  description") and the wrapped lines below it.
        var rows = new List<(Option? Option, List<string> Lines)>();
        var options = AllOptions(command);
        for (var i = start + 1; i < end; i++)
        {
            var line = lines[i];
            if (rows.Count > 0 && line.StartsWith("   ", StringComparison.Ordinal))
            {
                rows[^1].Lines.Add(line);
                continue;
            }
            rows.Add((OptionOf(line, options), [line]));
        }

        var placed = new HashSet<Option>();
        var sections = new List<(string Title, List<string> Lines)>();
        foreach (var (title, members) in groups)
        {
            var section = new List<string>();
            foreach (var option in members)
            {
                if (rows.FirstOrDefault(r => r.Option == option) is { Lines: { } rowLines } && placed.Add(option))
                {
                    section.AddRange(rowLines);
                }
            }
            if (section.Count > 0)
            {
                sections.Add((title + ":", section));
            }
        }
        var rest = rows.Where(r => r.Option is null || !placed.Contains(r.Option)).SelectMany(r => r.Lines).ToList();
        if (rest.Count > 0)
        {
            sections.Add(("Other options:", rest));
        }

        var text = new StringBuilder();
        foreach (var line in lines.Take(start))
        {
            text.Append(line).Append('\n');
        }
        for (var s = 0; s < sections.Count; s++)
        {
            if (s > 0)
            {
                text.Append('\n');
            }
            text.Append(sections[s].Title).Append('\n');
            foreach (var line in sections[s].Lines)
            {
                text.Append(line).Append('\n');
            }
        }
        text.AppendJoin('\n', lines.Skip(end));
        return text.ToString().Replace("\n", Environment.NewLine, StringComparison.Ordinal);
    }

    /// <summary>The options help lists for <paramref name="command"/>: its own and the recursive ones of its parents.</summary>
    internal static List<Option> AllOptions(Command command)
    {
        var all = new List<Option>(command.Options);
        var seen = new HashSet<Command> { command };
        var queue = new Queue<Command>(command.Parents.OfType<Command>());
        while (queue.TryDequeue(out var parent))
        {
            if (!seen.Add(parent))
            {
                continue;
            }
            all.AddRange(parent.Options.Where(o => o.Recursive));
            foreach (var p in parent.Parents.OfType<Command>())
            {
                queue.Enqueue(p);
            }
        }
        return all;
    }

    private static Option? OptionOf(string line, List<Option> options)
    {
        var first = line.TrimStart();
        var gap = first.IndexOf("  ", StringComparison.Ordinal);
        if (gap >= 0)
        {
            first = first[..gap];
        }
        var names = first.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).Where(t => t.StartsWith('-')).ToHashSet(StringComparer.Ordinal);
        return options.FirstOrDefault(o => names.Contains(o.Name) || o.Aliases.Any(names.Contains));
    }
}
