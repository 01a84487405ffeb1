using Audit.Collectors.Cim;
using Audit.Collectors.Estate;
using Audit.Tests.Common;

namespace Audit.Collectors.Tests.Estate;

public sealed class CollectPipelineTests
{
    [Fact]
    public void A_consistent_request_has_no_problem()
    {
        Assert.Empty(new CollectRequest { Hosts = ["hv1"], Transport = "wsman", Https = true, Auth = "basic", User = "u", PasswordEnv = "PW" }.Problems());
    }

    [Theory]
    [InlineData("--parallel 0 must be between 1 and 1024")]
    [InlineData("--port 70000 must be between 1 and 65535")]
    [InlineData("--auth basic needs --transport wsman and --https (Basic would send the password in clear text otherwise)")]
    [InlineData("--record and --replay cannot be combined: a replay only plays what was recorded")]
    [InlineData("--directory 'http://dc1' must be ldap://host[:port] or ldaps://host[:port]")]
    public void Each_inconsistency_is_one_sentence_naming_the_options(string problem)
    {
        var request = new CollectRequest { Hosts = ["hv1"], Parallel = 0, Port = 70000, Auth = "basic", Record = "r", Replay = "p", Directory = "http://dc1", CanUseMi = false };
        Assert.Contains(problem, request.Problems());
    }

    [Fact]
    public void The_default_transport_is_MI_where_it_runs_or_is_asked_for_and_WsMan_elsewhere()
    {
        Assert.Equal("wsman", new CollectRequest { CanUseMi = false }.EffectiveTransport);
        Assert.Equal("mi", new CollectRequest { CanUseMi = true }.EffectiveTransport);
        Assert.Equal("mi", new CollectRequest { CanUseMi = false, Dcom = true }.EffectiveTransport);
        Assert.Equal("mi", new CollectRequest { CanUseMi = false, Local = true }.EffectiveTransport);
    }

    [Fact]
    public void Nothing_to_collect_is_a_request_error_and_nothing_is_written()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CollectRequestException>(() => CollectPipeline.Run(new CollectRequest { Resolve = dir.File, CanUseMi = false }, new Observer()));
        Assert.Equal("nothing to collect: give --hosts, --hosts-file, --local and/or --directory", e.Message);
        Assert.Empty(System.IO.Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Hosts_over_MI_where_it_cannot_run_contact_nothing()
    {
        using var dir = new TempDir();
        var result = CollectPipeline.Run(new CollectRequest { Hosts = ["hv1"], Transport = "mi", Resolve = dir.File, CanUseMi = false }, new Observer());
        Assert.True(result.Unsupported);
        Assert.Null(result.Estate);
        Assert.Empty(System.IO.Directory.GetFileSystemEntries(dir.Path));
    }

    private sealed class Observer : ICollectObserver
    {
        public void Report(CollectionProgress value)
        {
        }

        public void Warning(Audit.Core.Diagnostic warning)
        {
        }
    }
}
