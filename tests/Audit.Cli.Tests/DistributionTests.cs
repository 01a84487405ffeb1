using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Audit.Tests.Common;
using Xunit.Abstractions;

namespace Audit.Cli.Tests;

/// <summary>Builds of the whole tool (pack, publish): heavy, so one at a time, after the tests that run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DistributionBuilds
{
    public const string Name = "distribution builds";
}

/// <summary>
/// What users install (README "Installation"), built from this checkout into a temporary folder of the test's own with
/// the SDK's own commands: the .NET tool package, installed into an empty folder and run from a third one, and the
/// self-contained single-file build for Windows x64, checked as a PE file with the runtime and the CIM collector inside.
/// </summary>
[Collection(DistributionBuilds.Name)]
public sealed class DistributionTests(ITestOutputHelper output)
{
    /// <summary>A commit id given to the build as SourceRevisionId (a checkout without .git, as test.sh's copy, has none of its own).</summary>
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);
    private static string Project => Path.Combine(RepoPaths.Root, "engine", "Audit.Cli", "Audit.Cli.csproj");

    [Fact]
    public void The_tool_package_installs_into_an_empty_folder_and_audits_the_bundled_sample_from_any_other()
    {
        using var dir = new TempDir("audit-pack");
        var feed = dir.File("feed");
        var tools = Directory.CreateDirectory(dir.File("tools")).FullName;
        var work = Directory.CreateDirectory(dir.File("work")).FullName;
        var started = DateTime.UtcNow;
        var pack = Dotnet(dir.Path, "pack", Project, "--configuration", "Release", "--output", feed, "--artifacts-path", dir.File("build"), $"-p:SourceRevisionId={Commit}");
        Assert.True(pack.ExitCode == 0, pack.ToString());
        var version = ToolBuild.Current.Version;
        var nupkg = Assert.Single(Directory.GetFiles(feed, "*.nupkg"));
        Assert.Equal($"audit.{version}.nupkg", Path.GetFileName(nupkg));
        output.WriteLine($"dotnet pack: {(DateTime.UtcNow - started).TotalSeconds:F0} s, {new FileInfo(nupkg).Length:N0} bytes");

        // The defaults and reference files ride in the package beside audit.dll, as they are in the repository.
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            const string Tool = "tools/net10.0/any/";
            var entries = zip.Entries.ToDictionary(e => e.FullName, StringComparer.Ordinal);
            Assert.Contains(Tool + "audit.dll", entries.Keys);
            Assert.Contains(Tool + "DotnetToolSettings.xml", entries.Keys);
            foreach (var (folder, pattern) in new[] { ("rules", "*.json"), ("schema", "*"), ("reports/templates", "*"), ("samples", "estate.snapshot.json") })
            {
                var files = Directory.GetFiles(Path.Combine(RepoPaths.Root, folder), pattern);
                Assert.NotEmpty(files);
                foreach (var file in files)
                {
                    var name = $"{Tool}{folder}/{Path.GetFileName(file)}";
                    Assert.True(entries.TryGetValue(name, out var entry), $"{name} is not in the package");
                    using var s = entry.Open();
                    Assert.Equal(SHA256.HashData(File.ReadAllBytes(file)), SHA256.HashData(s));
                }
            }
        }

        // Installed from that folder alone (no other package source), into an empty folder.
        File.WriteAllText(dir.File("nuget.config"), "<configuration><packageSources><clear /></packageSources></configuration>");
        var install = Dotnet(dir.Path, "tool", "install", "--tool-path", tools, "--add-source", feed, "--configfile", dir.File("nuget.config"), "audit");
        Assert.True(install.ExitCode == 0, install.ToString());
        var audit = Path.Combine(tools, "audit");
        Assert.True(File.Exists(audit), $"{audit} missing after install:\n{install}");

        // Run from a third folder: the bundled rules and sample, reports into ./out.
        var run = ProcessRun.Run(audit, ["run"], work, TimeSpan.FromMinutes(2), CleanEnvironment());
        var inProcess = CliRunner.Run("run", "--format", "console", "--quiet");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(FirstLine(inProcess.Out), FirstLine(run.Out));
        Assert.Equal("", run.Err);
        foreach (var file in new[] { "report.html", "junit.xml", "results.json" })
        {
            Assert.True(File.Exists(Path.Combine(work, "out", file)), $"{file} not written into {work}/out");
        }
        using (var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "out", "results.json"))))
        {
            var r = results.RootElement.GetProperty("run");
            Assert.Equal(version, r.GetProperty("toolVersion").GetString());
            Assert.Equal(Commit, r.GetProperty("toolCommit").GetString());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(RepoPaths.SampleSnapshot))), r.GetProperty("snapshot").GetProperty("sha256").GetString());
        }

        var rules = ProcessRun.Run(audit, ["rules"], work, TimeSpan.FromMinutes(2), CleanEnvironment());
        Assert.True(rules.ExitCode == 0, rules.ToString());
        Assert.Equal(CliRunner.Run("rules").Out, rules.Out);

        var cases = ProcessRun.Run(audit, ["test"], work, TimeSpan.FromMinutes(2), CleanEnvironment());
        Assert.True(cases.ExitCode == 0, cases.ToString());

        var versionLine = ProcessRun.Run(audit, ["--version"], work, TimeSpan.FromMinutes(1), CleanEnvironment());
        Assert.Equal($"audit {version} (commit {Commit})\n", versionLine.Out);
    }

    [Fact]
    public void The_windows_single_file_is_an_x64_pe_executable_with_the_runtime_and_the_cim_collector_inside()
    {
        using var dir = new TempDir("audit-win");
        var publish = dir.File("publish");
        var started = DateTime.UtcNow;
        var r = Dotnet(dir.Path, "publish", Project, "--configuration", "Release", "--runtime", "win-x64", "--self-contained", "-p:PublishSingleFile=true",
            "--output", publish, "--artifacts-path", dir.File("build"), $"-p:SourceRevisionId={Commit}");
        Assert.True(r.ExitCode == 0, r.ToString());
        var exe = Path.Combine(publish, "audit.exe");
        var bytes = File.ReadAllBytes(exe);
        output.WriteLine($"dotnet publish win-x64: {(DateTime.UtcNow - started).TotalSeconds:F0} s; audit.exe {bytes.Length:N0} bytes ({bytes.Length / 1048576.0:F1} MiB)");

        // One executable; beside it only the default inputs and reference files, no loose assembly or symbols.
        Assert.Equal(["audit.exe"], Directory.GetFiles(publish).Select(Path.GetFileName));
        Assert.Equal(["reports", "rules", "samples", "schema"], Directory.GetDirectories(publish).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // Measured 78 MB (the .NET runtime is most of it); far less means a framework-dependent or trimmed build, far more a mistake.
        Assert.InRange(bytes.Length, 50L << 20, 120L << 20);
        var pe = PeHeader.Read(bytes);
        Assert.Equal(PeHeader.MachineAmd64, pe.Machine);
        Assert.Equal(PeHeader.Pe32Plus, pe.Magic);
        Assert.Equal(PeHeader.ConsoleSubsystem, pe.Subsystem);

        var bundle = BundleManifest.Read(bytes);
        var names = bundle.Files.Select(f => f.Path).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var inside in new[] { "audit.dll", "System.Private.CoreLib.dll", "RulesEngine.dll", "System.DirectoryServices.Protocols.dll", "microsoft.management.infrastructure.dll", "microsoft.management.infrastructure.native.dll", "microsoft.management.infrastructure.native.unmanaged.dll" })
        {
            Assert.True(names.Contains(inside), $"{inside} is not inside audit.exe: {string.Join(", ", names.Order(StringComparer.Ordinal))}");
        }
        // The collector's native part is the Windows x64 build (not x86 or arm64), and the bundled audit.dll carries the commit.
        var unmanaged = bundle.Files.Single(f => f.Path == "microsoft.management.infrastructure.native.unmanaged.dll");
        Assert.Equal(PeHeader.MachineAmd64, PeHeader.Read(bytes.AsSpan((int)unmanaged.Offset, (int)unmanaged.Size).ToArray()).Machine);
        var auditDll = bundle.Files.Single(f => f.Path == "audit.dll");
        Assert.Equal(0, auditDll.CompressedSize);
        Assert.True(bytes.AsSpan((int)auditDll.Offset, (int)auditDll.Size).IndexOf(Encoding.UTF8.GetBytes("+" + Commit)) >= 0, "audit.dll inside the bundle does not carry the commit");
    }

    private static string FirstLine(string text) => text.Split('\n')[0];

    /// <summary>The nested build sees the machine's environment, less what the test host's own MSBuild put there.</summary>
    private static Dictionary<string, string?> CleanEnvironment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal) { ["NO_COLOR"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1", ["MSBUILDDISABLENODEREUSE"] = "1" };
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) && name != "MSBUILDDISABLENODEREUSE")
            {
                env[name] = null;
            }
        }
        return env;
    }

    /// <summary>
    /// dotnet, without build servers (nothing the test starts outlives it). Builds skip the analyzers: test.sh's build ran
    /// them over the same sources with warnings as errors, they change no output, and they take a third of the build.
    /// </summary>
    private static ProcessRun.Result Dotnet(string cwd, params string[] args)
    {
        string[] all = args[0] == "tool" ? args : [.. args, "--disable-build-servers", "--nologo", "--verbosity", "quiet", "-p:RunAnalyzers=false", "-p:EnforceCodeStyleInBuild=false"];
        return ProcessRun.Run(ProcessRun.Dotnet, all, cwd, BuildTimeout, CleanEnvironment());
    }
}

/// <summary>The few fields of a PE header that say what a Windows executable is.</summary>
internal sealed record PeHeader(ushort Machine, ushort Magic, ushort Subsystem)
{
    public const ushort MachineAmd64 = 0x8664;
    public const ushort Pe32Plus = 0x20b;
    public const ushort ConsoleSubsystem = 3;

    public static PeHeader Read(byte[] b)
    {
        Assert.True(b.Length > 0x40 && b[0] == (byte)'M' && b[1] == (byte)'Z', "no MZ header");
        var pe = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(0x3c));
        Assert.True(pe > 0 && pe + 24 + 70 < b.Length, $"PE header offset {pe} out of range");
        Assert.True(b.AsSpan(pe, 4).SequenceEqual("PE\0\0"u8), "no PE signature");
        var optional = pe + 24;
        return new PeHeader(
            BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(pe + 4)),
            BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(optional)),
            BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(optional + 68)));
    }
}

/// <summary>
/// The file list of a .NET single-file bundle, read as the host reads it: the apphost carries the bundle header's offset
/// just before a fixed 32-byte signature; the header lists each embedded file (offset, size, compressed size, type, path).
/// </summary>
internal sealed record BundleManifest(uint MajorVersion, IReadOnlyList<BundleManifest.Entry> Files)
{
    public sealed record Entry(long Offset, long Size, long CompressedSize, byte Type, string Path);

    private static readonly byte[] Signature =
    [
        0x8b, 0x12, 0x02, 0xb9, 0x6a, 0x61, 0x20, 0x38, 0x72, 0x7b, 0x93, 0x02, 0x14, 0xd7, 0xa0, 0x32,
        0x13, 0xf5, 0xb9, 0xe6, 0xef, 0xae, 0x33, 0x18, 0xee, 0x3b, 0x2d, 0xce, 0x24, 0xb3, 0x6a, 0xae,
    ];

    public static BundleManifest Read(byte[] bytes)
    {
        var at = bytes.AsSpan().IndexOf(Signature);
        Assert.True(at >= 8, "no single-file bundle signature: not a single-file build");
        var header = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at - 8));
        Assert.InRange(header, 1, bytes.Length - 1);
        using var reader = new BinaryReader(new MemoryStream(bytes, (int)header, bytes.Length - (int)header), Encoding.UTF8);
        var major = reader.ReadUInt32();
        reader.ReadUInt32();
        var count = reader.ReadInt32();
        reader.ReadString();
        if (major >= 2)
        {
            reader.ReadBytes(8 * 4 + 8);
        }
        var files = new List<Entry>(count);
        for (var i = 0; i < count; i++)
        {
            var offset = reader.ReadInt64();
            var size = reader.ReadInt64();
            var compressed = major >= 6 ? reader.ReadInt64() : 0;
            var type = reader.ReadByte();
            var path = reader.ReadString();
            Assert.InRange(offset + Math.Max(size, compressed), 0, bytes.Length);
            files.Add(new Entry(offset, size, compressed, type, path));
        }
        return new BundleManifest(major, files);
    }
}
