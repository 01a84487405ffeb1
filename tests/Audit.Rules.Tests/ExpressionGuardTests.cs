using Audit.Core;

namespace Audit.Rules.Tests;

/// <summary>Rule files may come from other teams: expressions outside the allow-list are rejected at load, naming the rule.</summary>
public class ExpressionGuardTests
{
    public static TheoryData<string> Attacks => new()
    {
        "host.GetType().Name == \"HostFacts\"",
        "host.GetType().Assembly.FullName != null",
        "host.Name.GetType().Assembly.GetTypes().Count() > 0",
        "host.Vms.Select(v => v.GetType()).Count() > 0",
        "Enumerable.Range(0, 2147483647).Count() > 0",
        "Enumerable.Repeat(\"a\", 2147483647).Count() > 0",
        "\"\".PadLeft(2147483647).Length > 0",
        "new string('a', 2147483647).Length > 0",
        "string.Format(\"{0,2147483647}\", 1).Length > 0",
        "System.IO.File.Exists(\"/etc/passwd\")",
        "Environment.GetEnvironmentVariable(\"PATH\") != null",
        "System.Diagnostics.Process.Start(\"sh\") != null",
        "Type.GetType(\"System.IO.File\") != null",
        "AppDomain.CurrentDomain.FriendlyName != null",
        "AppContext.BaseDirectory != null",
        "DateTime.Now.Year > 2000",
        "DateTimeOffset.UtcNow > collectedAt",
        "host.Vms.Aggregate(\"x\", (a, v) => a + a).Length > 0",
        "Activator.CreateInstance(\"System.IO\", \"File\") != null",
        "object.ReferenceEquals(host, null)",
        "host.GetType().GetProperty(\"Name\").GetValue(host) != null",
        "np(host.GetType().Module.Name) != null",
        "\"a\".GetType().Assembly.CreateInstance(\"System.Object\") != null",
        "Convert.ChangeType(host, host.GetType()) != null",
        "host.Name.Normalize().Length > 0 && host.GetHashCode().GetType() != null",
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public void Attack_expression_is_rejected_at_load(string expression)
    {
        var result = RuleSetText.Load(RuleSetText.Set([RuleSetText.Rule("ATK-001", "host", expression)]));
        Assert.False(result.Succeeded, $"accepted: {expression}");
        var d = Assert.Single(result.Diagnostics.Where(x => x.Level == DiagnosticLevel.Error).Take(1));
        Assert.Equal("ATK-001", d.RuleId);
        Assert.Contains(d.Code, new[] { DiagnosticCodes.ExpressionSyntax, DiagnosticCodes.UnknownMember, DiagnosticCodes.DisallowedMember, DiagnosticCodes.ExpressionType });
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void Attack_expression_is_rejected_in_let_and_evidence_too(string expression)
    {
        var rule = RuleSetText.Rule("ATK-002", "host", "true", let: new Dictionary<string, string> { ["x"] = expression });
        Assert.False(RuleSetText.Load(RuleSetText.Set([rule])).Succeeded);
        var evidence = RuleSetText.Rule("ATK-003", "host", "true", actual: expression);
        Assert.False(RuleSetText.Load(RuleSetText.Set([evidence])).Succeeded);
    }

    [Theory]
    [InlineData("host.Vms.Where(v => v.State == \"Running\").Select(v => v.Name.ToUpperInvariant()).Distinct().Count() >= 0")]
    [InlineData("Fn.Ver(\"6.2.9200.16433\") > Fn.Ver(\"6.2.9200.9999\")")]
    [InlineData("host.Hotfixes.Any(h => h.Id.StartsWith(\"KB\")) || host.Name.Contains(\"Z\")")]
    [InlineData("Math.Max(1, host.Vms.Count()) >= 1 && collectedAt.AddDays(-7) < collectedAt")]
    [InlineData("np(host.LiveMigration.Networks.First().Subnet, \"none\") != null")]
    [InlineData("host.IntegrationServices.Count() >= 0 && Fn.Get(host.IntegrationServices, \"x\") == null")]
    public void Ordinary_rule_expressions_are_allowed(string expression)
    {
        var result = RuleSetText.Load(RuleSetText.Set([RuleSetText.Rule("OK-001", "host", expression)]));
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
    }
}
