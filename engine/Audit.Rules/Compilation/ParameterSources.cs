namespace Audit.Rules.Compilation;

/// <summary>Where a parameter's value came from (results.json parameterSources).</summary>
public static class ParameterSources
{
    public const string Default = "default";
    public const string File = "file";
    public const string CommandLine = "commandLine";
}
