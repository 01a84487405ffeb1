using System.Globalization;

namespace Audit.Cli;

/// <summary>What the CLI reads from its surroundings, injectable for in-process tests.</summary>
internal sealed record CliEnvironment
{
    public string CurrentDirectory { get; init; } = Directory.GetCurrentDirectory();
    /// <summary>Colour on the console: off when NO_COLOR is set or output is redirected.</summary>
    public bool Color { get; init; }
    /// <summary>Standard output is a terminal.</summary>
    public bool IsTerminal { get; init; }
    /// <summary>Standard error is a terminal: only then is progress shown (a line rewritten in place with \r), never in pipes or logs.</summary>
    public bool IsErrorTerminal { get; init; }
    /// <summary>How long work runs before progress is shown at all (quick runs print none).</summary>
    public TimeSpan ProgressAfter { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Width help is wrapped to: the terminal's, or no wrapping when redirected; fixed in tests so help output is deterministic.</summary>
    public int HelpWidth { get; init; } = 120;
    public Func<string, string?> GetVariable { get; init; } = _ => null;
    /// <summary>Wall clock; SOURCE_DATE_EPOCH pins it for reproducible output.</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;

    public static CliEnvironment FromProcess()
    {
        var epoch = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH");
        Func<DateTimeOffset> clock = long.TryParse(epoch, NumberStyles.Integer, CultureInfo.InvariantCulture, out var secs)
            ? () => DateTimeOffset.FromUnixTimeSeconds(secs)
            : () => DateTimeOffset.UtcNow;
        var terminal = !Console.IsOutputRedirected;
        return new CliEnvironment
        {
            Color = terminal && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")),
            IsTerminal = terminal,
            IsErrorTerminal = !Console.IsErrorRedirected,
            HelpWidth = terminal ? TerminalWidth() : int.MaxValue,
            GetVariable = Environment.GetEnvironmentVariable,
            Clock = clock,
        };
    }

    private static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth is var w and >= 40 ? w : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    /// <summary>Whether live CIM collection can run here (MI needs Windows); replaceable in tests.</summary>
    public bool CanCollectCim { get; init; } = OperatingSystem.IsWindows();

    /// <summary>Where CIM sessions come from; null: Microsoft.Management.Infrastructure. Tests put a fake endpoint here.</summary>
    public Audit.Collectors.Cim.ICimSessionFactory? CimSessionFactory { get; init; }

    /// <summary>The tool's version and commit as recorded in outputs; tests pin it so what they write does not change with each commit.</summary>
    public ToolBuild Build { get; init; } = ToolBuild.Current;

    public string Resolve(string path) => Path.GetFullPath(Path.Combine(CurrentDirectory, path));
}
