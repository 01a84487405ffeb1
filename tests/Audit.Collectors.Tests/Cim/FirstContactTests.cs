using System.Diagnostics;
using Audit.Collectors.Cim;
using Audit.Collectors.Recording;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Tests.Cim;

/// <summary>
/// What a real host does on first contact, through the <see cref="ICimSession"/> seam: failures classified by their
/// codes (Kerberos is authentication, not "unreachable"; localised text is never read), a connection test on open
/// (an unreachable host costs one timeout), 2012's refusal of VirtualSystemSubType, a stopped cluster service, and the
/// session options PowerShell uses (DCOM packet privacy, WinRM encryption and certificate checks).
/// </summary>
public sealed class FirstContactTests
{
    /// <summary>What MI gives for a Kerberos SPN failure: Failed, MessageId with the HRESULT, an OMI_Error with the code and category 28.</summary>
    internal static CimFault KerberosWrongPrincipal(string message = "WinRM kann die Anforderung nicht verarbeiten. Kerberos-Fehler (localised text, never read)") => new()
    {
        NativeErrorCode = (int)CimErrorCode.Failed,
        MessageId = "HRESULT 0x80090322",
        Message = message,
        ErrorDataClass = "OMI_Error",
        ErrorData = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
        {
            ["error_Code"] = 0x80090322u,
            ["error_Type"] = "HRESULT",
            ["error_Category"] = (ushort)28,
            ["MessageID"] = "HRESULT 0x80090322",
            ["Message"] = message,
            ["CIMStatusCode"] = 1u,
        },
    };

    private static CimFault Fault(int native, uint? code = null, ushort? category = null, string message = "WinRM: something went wrong") => new()
    {
        NativeErrorCode = native,
        Message = message,
        ErrorDataClass = code is null && category is null ? null : "OMI_Error",
        ErrorData = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
        {
            ["error_Code"] = code,
            ["error_Category"] = category,
        }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase),
    };

    [Fact]
    public void A_Kerberos_failure_is_authentication_with_its_fix_and_is_not_transient_whatever_its_text_says()
    {
        var e = CimErrorClassifier.ToException(KerberosWrongPrincipal(), "cannot reach hv1");
        Assert.Equal(CimErrorCode.AuthenticationFailed, e.Code);
        Assert.False(e.IsTransient);
        Assert.Equal("SEC_E_WRONG_PRINCIPAL", e.Cause);
        Assert.Contains("setspn", e.Fix, StringComparison.Ordinal);
        Assert.StartsWith("cannot reach hv1: Failed, SEC_E_WRONG_PRINCIPAL: WinRM kann", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData((int)CimErrorCode.Failed, 0x803380E4u, null, CimErrorCode.AuthenticationFailed, "ERROR_WSMAN_SERVER_NOT_TRUSTED")]
    [InlineData((int)CimErrorCode.Failed, 0x8009030Eu, null, CimErrorCode.AuthenticationFailed, "SEC_E_NO_CREDENTIALS")]
    [InlineData((int)CimErrorCode.Failed, 0x8009030Cu, null, CimErrorCode.AuthenticationFailed, "SEC_E_LOGON_DENIED")]
    [InlineData((int)CimErrorCode.Failed, 0x80338029u, null, CimErrorCode.Timeout, "ERROR_WSMAN_OPERATION_TIMEDOUT")]
    [InlineData((int)CimErrorCode.Failed, 0x80338126u, null, CimErrorCode.Unreachable, "ERROR_WSMAN_NETWORK_TIMEDOUT")]
    [InlineData((int)CimErrorCode.Failed, 0x800706BAu, null, CimErrorCode.Unreachable, "RPC_S_SERVER_UNAVAILABLE")]
    [InlineData((int)CimErrorCode.Failed, 0x80090325u, null, CimErrorCode.CertificateRejected, "SEC_E_UNTRUSTED_ROOT")]
    [InlineData((int)CimErrorCode.AccessDenied, 0x80070005u, null, CimErrorCode.AccessDenied, "E_ACCESSDENIED")]
    // No known code: the MI error category decides; a specific MI result wins over a category.
    [InlineData((int)CimErrorCode.Failed, 0x12345678u, (ushort)27, CimErrorCode.Unreachable, "0x12345678")]
    [InlineData((int)CimErrorCode.Failed, null, (ushort)28, CimErrorCode.AuthenticationFailed, "AuthenticationFailed")]
    [InlineData((int)CimErrorCode.InvalidNamespace, null, (ushort)27, CimErrorCode.InvalidNamespace, "InvalidNamespace")]
    // Text that says "WinRM" but no code: failed, not unreachable (the old text match retried it as unreachable).
    [InlineData((int)CimErrorCode.Failed, null, null, CimErrorCode.Failed, "Failed")]
    public void Failures_are_classified_by_code_then_category_then_MI_result(int native, uint? code, ushort? category, CimErrorCode expected, string cause)
    {
        var c = CimErrorClassifier.Classify(Fault(native, code, category));
        Assert.Equal((expected, cause), (c.Code, c.Cause));
    }

    [Fact]
    public void The_HRESULT_in_MessageId_counts_when_ErrorData_has_none()
    {
        var c = CimErrorClassifier.Classify(new CimFault { NativeErrorCode = 1, MessageId = "HRESULT 0x803380e4", Message = "x" });
        Assert.Equal(CimErrorCode.AuthenticationFailed, c.Code);
        Assert.Contains("TrustedHosts", c.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_native_layer_that_cannot_load_is_platform_not_supported_for_that_host()
    {
        var c = CimErrorClassifier.Classify(new CimFault { ExceptionType = "System.DllNotFoundException", Message = "mi.dll" });
        Assert.Equal(CimErrorCode.PlatformNotSupported, c.Code);
    }

    /// <summary>A factory whose hosts fail at the connection test (or whose open hangs, ignoring cancellation).</summary>
    private sealed class FailingFactory(Func<string, Exception?> testFails, bool openHangs = false) : ICimSessionFactory
    {
        public int Opens;
        public int Queries;

        public async Task<ICimSession> CreateAsync(string computerName, CimConnectionOptions options, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Opens);
            if (openHangs)
            {
                await new TaskCompletionSource().Task; // never, whatever the token says
            }
            return new Session(this, computerName, testFails(computerName));
        }

        private sealed class Session(FailingFactory f, string host, Exception? test) : ICimSession
        {
            public string ComputerName => host;
            public Task TestConnectionAsync(CancellationToken cancellationToken) => test is null ? Task.CompletedTask : Task.FromException(test);
            public Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string wql, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref f.Queries);
                return Task.FromException<IReadOnlyList<CimRecord>>(new CimException(CimErrorCode.Failed, "not expected"));
            }
            public Task<CimMethodOutput> InvokeStaticAsync(string cimNamespace, string className, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
                Task.FromException<CimMethodOutput>(new CimException(CimErrorCode.Failed, "not expected"));
            public Task<CimMethodOutput> InvokeAsync(string cimNamespace, CimRecord instance, string method, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken) =>
                Task.FromException<CimMethodOutput>(new CimException(CimErrorCode.Failed, "not expected"));
            public void Dispose()
            {
            }
        }
    }

    [Fact]
    public async Task A_host_refusing_Kerberos_fails_once_at_the_connection_test_as_authentication_and_no_collector_runs()
    {
        var factory = new FailingFactory(_ => CimErrorClassifier.ToException(KerberosWrongPrincipal(), CimOperationText.TestConnection("hv1")));
        var result = await new CollectionRunner(factory).RunAsync([new InventoryHost { Name = "hv1" }], new CollectionRunOptions { Retries = 1 });
        Assert.Equal(1, factory.Opens);
        Assert.Equal(0, factory.Queries);
        var h = Assert.Single(result.Hosts);
        Assert.All(h.Collection, c =>
        {
            Assert.Equal((CollectionState.Error, (int)CimErrorCode.AuthenticationFailed), (c.Status, c.ErrorCode));
            Assert.Contains("SEC_E_WRONG_PRINCIPAL", c.Message, StringComparison.Ordinal);
            Assert.Contains("(fix: use the host's DNS name", c.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task An_unreachable_host_costs_one_connection_timeout_not_one_per_collector()
    {
        var factory = new FailingFactory(_ => null, openHangs: true);
        var options = new CollectionRunOptions { OperationTimeout = TimeSpan.FromMilliseconds(400), Retries = 1, HostTimeout = TimeSpan.FromSeconds(60) };
        var watch = Stopwatch.StartNew();
        var result = await new CollectionRunner(factory).RunAsync([new InventoryHost { Name = "gone.lab.test" }], options);
        watch.Stop();
        Assert.Equal(1, factory.Opens);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}: more than one connection timeout");
        Assert.All(Assert.Single(result.Hosts).Collection, c =>
        {
            Assert.Equal((int)CimErrorCode.Timeout, c.ErrorCode);
            Assert.Contains("no answer within 0.4 s", c.Message, StringComparison.Ordinal);
        });
    }

    private sealed class NativeLayerMissing : ICimSessionFactory
    {
        public Task<ICimSession> CreateAsync(string computerName, CimConnectionOptions options, CancellationToken cancellationToken) =>
            computerName == "hv2" ? throw new DllNotFoundException("Unable to load DLL 'mi.dll'") : throw new TypeInitializationException("Microsoft.Management.Infrastructure.Native.ApplicationMethods", null);
    }

    [Fact]
    public async Task A_native_layer_failure_fails_each_host_not_the_run()
    {
        var result = await new CollectionRunner(new NativeLayerMissing()).RunAsync([new InventoryHost { Name = "hv1" }, new InventoryHost { Name = "hv2" }], new CollectionRunOptions());
        Assert.True(result.Complete);
        Assert.Equal(2, result.Hosts.Count);
        Assert.All(result.Hosts, h => Assert.All(h.Collection, c => Assert.Equal((CollectionState.Error, (int)CimErrorCode.PlatformNotSupported), (c.Status, c.ErrorCode))));
        Assert.Contains("DllNotFoundException", result.Hosts[1].Collection[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dcom_sessions_carry_packet_privacy_integrity_and_impersonation()
    {
        var plan = MiSessionPlan.For(new CimConnectionOptions { Protocol = CimProtocol.Dcom, User = @"LAB\auditor", Password = "x" });
        Assert.True(plan.PacketPrivacy);
        Assert.True(plan.PacketIntegrity);
        Assert.Equal("Impersonate", plan.Impersonation);
        Assert.Equal(("LAB", "auditor", "Default"), (plan.Domain, plan.User, plan.CredentialMechanism));
        Assert.Null(plan.Port);
    }

    [Theory]
    [InlineData(false, null, 5985)]
    [InlineData(true, null, 5986)]
    [InlineData(true, 443, 443)]
    [InlineData(false, 8080, 8080)]
    public void WinRM_sessions_are_encrypted_check_certificates_and_use_the_right_port(bool https, int? port, int expected)
    {
        var plan = MiSessionPlan.For(new CimConnectionOptions { UseSsl = https, Port = port, User = "auditor@lab.test", Password = "x" });
        Assert.Equal((expected, https, true, true), (plan.Port!.Value, plan.UseSsl, plan.Encrypted, plan.CertificateChecks));
        Assert.Equal((null, "auditor@lab.test", "Negotiate"), (plan.Domain, plan.User, plan.CredentialMechanism));
        Assert.False(plan.PacketPrivacy); // a DCOM setting: not for WinRM
    }

    private static CimRecordingDocument Edit(CimRecordingDocument doc, Func<RecordedOperation, IEnumerable<RecordedOperation>> edit) =>
        doc with { Operations = [.. doc.Operations.SelectMany(edit)] };

    private static RecordedOperation Error(RecordedOperation op, CimErrorCode code) => op with
    {
        Outcome = RecordedOutcomes.Error,
        Instances = null,
        Fault = new RecordedFault { NativeErrorCode = (int)code, Message = code.ToString(), ExceptionType = "Microsoft.Management.Infrastructure.CimException" },
    };

    private static async Task<(HostFacts Facts, ReplayCimSessionFactory Replay)> CollectAsync(CimRecordingDocument doc)
    {
        var replay = new ReplayCimSessionFactory([doc]);
        var session = await replay.CreateAsync(doc.Host.Name, new CimConnectionOptions(), CancellationToken.None);
        return (await new HostCollector().CollectAsync(session, new HostFacts { Name = doc.Host.Name }, CancellationToken.None), replay);
    }

    [Fact]
    public async Task A_2012_host_refusing_VirtualSystemSubType_in_the_select_list_still_gives_its_VMs()
    {
        var doc = Edit(CimRecording.Load("hv2012-cluster-node"), op => op.Query == VmCollector.SettingsQuery
            ? [Error(op, CimErrorCode.InvalidQuery), op with { Query = VmCollector.SettingsQueryWithoutSubType }]
            : [op]);
        var (h, replay) = await CollectAsync(doc);
        CimRecording.AssertAllAnswered(replay);
        var vms = Assert.Single(h.Collection, c => c.Collector == FactFamilies.Vms);
        Assert.Equal(CollectionState.Ok, vms.Status);
        Assert.Contains("refused VirtualSystemSubType (InvalidQuery", vms.Message, StringComparison.Ordinal);
        Assert.Equal(["APP01", "LEGACY-XP", "OFF01"], h.Vms!.Select(v => v.Name));
        Assert.All(h.Vms!, v => Assert.Null(v.Generation));
    }

    private static IEnumerable<RecordedOperation> ClusterFailsAndService(RecordedOperation op, string? serviceState)
    {
        if (op.Query != ClusterCollector.Query)
        {
            return [op];
        }
        var service = new RecordedOperation
        {
            Op = RecordedOps.Query,
            Namespace = CimNamespaces.Cimv2,
            Query = ClusterCollector.ServiceQuery,
            Outcome = RecordedOutcomes.Ok,
            Instances = serviceState is null ? [] :
            [
                new RecordedInstance { Class = "Win32_Service", Properties = [RecordedValueCodec.Encode("Name", "ClusSvc", "String"), RecordedValueCodec.Encode("State", serviceState, "String")] },
            ],
        };
        return [Error(op, CimErrorCode.Failed), service];
    }

    [Theory]
    [InlineData("Stopped")]
    [InlineData(null)]
    public async Task Failover_clustering_installed_but_no_cluster_is_not_clustered_not_an_error(string? serviceState)
    {
        var doc = Edit(CimRecording.Load("hv2012-cluster-node"), op => ClusterFailsAndService(op, serviceState));
        var (h, _) = await CollectAsync(doc);
        var cluster = Assert.Single(h.Collection, c => c.Collector == FactFamilies.Cluster);
        Assert.Equal(CollectionState.Ok, cluster.Status);
        Assert.Contains($"the cluster service is {serviceState ?? "absent"}", cluster.Message, StringComparison.Ordinal);
        Assert.Null(h.Cluster);
    }

    [Fact]
    public async Task A_running_cluster_service_whose_WMI_fails_is_an_error()
    {
        var doc = Edit(CimRecording.Load("hv2012-cluster-node"), op => ClusterFailsAndService(op, "Running"));
        var (h, _) = await CollectAsync(doc);
        Assert.Equal(CollectionState.Error, Assert.Single(h.Collection, c => c.Collector == FactFamilies.Cluster).Status);
    }
}
