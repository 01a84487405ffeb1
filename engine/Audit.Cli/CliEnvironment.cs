using System.Globalization;

namespace Audit.Cli;

/// <summary>What the CLI reads from its surroundings, injectable for in-process tests.</summary>
public sealed record CliEnvironment
{
    public string CurrentDirectory { get; init; } = Directory.GetCurrentDirectory();
    /// <summary>Colour on the console: off when NO_COLOR is set or output is redirected.</summary>
    public bool Color { get; init; }
    public bool IsTerminal { get; init; }
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
            GetVariable = Environment.GetEnvironmentVariable,
            Clock = clock,
        };
    }

    /// <summary>Whether live CIM collection can run here (MI needs Windows); replaceable in tests.</summary>
    public bool CanCollectCim { get; init; } = OperatingSystem.IsWindows();

    /// <summary>Where CIM sessions come from; null: Microsoft.Management.Infrastructure. Tests put a fake endpoint here.</summary>
    public Audit.Collectors.Cim.ICimSessionFactory? CimSessionFactory { get; init; }

    /// <summary>The tool's version and commit as recorded in outputs; tests pin it so what they write does not change with each commit.</summary>
    public ToolBuild Build { get; init; } = ToolBuild.Current;

    public string Resolve(string path) => Path.GetFullPath(Path.Combine(CurrentDirectory, path));
}
