using Audit.Core;

namespace Audit.Rules.Tests;

/// <summary>The code of an expression that does not parse comes from what the parser did and what stands where it stopped, not from its wording.</summary>
public class ParseFailureCauseTests
{
    [Theory]
    [InlineData("host.Name == ", DiagnosticCodes.ExpressionSyntax)]
    [InlineData("host.Name == \"a\" host.Name == \"b\"", DiagnosticCodes.ExpressionSyntax)]
    [InlineData("Fn.Contains(host.Name host.Name)", DiagnosticCodes.ExpressionSyntax)]
    [InlineData("host.LiveMigration.Enabeld", DiagnosticCodes.UnknownMember)]
    [InlineData("host . Nmae == \"a\"", DiagnosticCodes.UnknownMember)]
    [InlineData("vm.Name == \"a\"", DiagnosticCodes.UnknownMember)]
    [InlineData("host.Name", DiagnosticCodes.ExpressionType)]
    [InlineData("host.Vms.Count + 1", DiagnosticCodes.ExpressionType)]
    public void A_failed_parse_gets_the_code_of_its_cause(string assert, string code)
    {
        var result = RuleSetText.Load(RuleSetText.Set([RuleSetText.Rule("T-HOST-001", "host", assert)]));
        var d = Assert.Single(result.Diagnostics, x => x.Level == DiagnosticLevel.Error);
        Assert.Equal(code, d.Code);
    }
}
