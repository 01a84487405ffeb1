using System.Linq.Expressions;
using Audit.Core.Snapshots;
using Audit.Rules.Compilation;
using Audit.Tests.Common;
using RulesEngine.ExpressionBuilders;

namespace Audit.Rules.Tests;

/// <summary>ExpressionCompiler parses as RulesEngine's RuleExpressionParser does, without Dynamic LINQ's assembly scan.</summary>
public class ExpressionCompilerTests
{
    [Fact]
    public void Declared_types_are_what_RulesEngine_finds_by_scanning_every_loaded_assembly()
    {
        // Load what a run loads (rules, a snapshot, evaluation) so the scan sees at least the CLI's assemblies.
        var rules = RuleSetLoader.Load([RepoPaths.Rules]);
        Assert.True(rules.Succeeded);
        SnapshotLoader.Load(RepoPaths.SampleSnapshot);
        var settings = RuleSetLoader.Settings();

        var scanned = new RulesEngine.CustomTypeProvider(settings.CustomTypes).GetCustomTypes();

        Assert.Equal(scanned.OrderBy(t => t.FullName, StringComparer.Ordinal), ExpressionCompiler.DeclaredTypes(settings.CustomTypes).OrderBy(t => t.FullName, StringComparer.Ordinal));
        Assert.Equal(scanned.Count, new ExpressionCompiler.DeclaredTypeProvider(settings.CustomTypes).GetCustomTypes().Count);
    }

    [Theory]
    [InlineData("h.Name.ToUpper() == \"X\" AND Fn.VerAtLeast(h.Version, \"6.2\")", typeof(bool))]
    [InlineData("h.Names.Where(n => n.StartsWith(\"a\")).Select(n => n.Length).DefaultIfEmpty(0).Max() > 2 or not true", typeof(bool))]
    [InlineData("Fn.VerAtLeast(h.Version, \"6.2\") and h.Names.Contains(\"a\") && h.Names.Any(it == \"b\")", typeof(bool))]
    [InlineData("h.Name + \": \" + h.Names.Count().ToString()", null)]
    [InlineData("iif(h.Names.Count() > 1, h.Names.First(), null)", null)]
    public void Parses_to_the_same_tree_as_RulesEngine(string expression, Type? returnType)
    {
        var parameters = new[] { Expression.Parameter(typeof(Probe), "h") };
        var settings = RuleSetLoader.Settings();

        var ours = new ExpressionCompiler(settings).Parse(expression, parameters, returnType);
        var theirs = new RuleExpressionParser(settings).Parse(expression, parameters, returnType);

        Assert.Equal(theirs.ToString(), ours.ToString());
        Assert.Equal(theirs.Type, ours.Type);
    }

    [Fact]
    public void Syntax_errors_throw_as_in_RulesEngine()
    {
        var parameters = new[] { Expression.Parameter(typeof(Probe), "h") };
        var settings = RuleSetLoader.Settings();
        var theirs = Assert.ThrowsAny<Exception>(() => new RuleExpressionParser(settings).Parse("h.Name ==", parameters, typeof(bool)));
        var ours = Assert.ThrowsAny<Exception>(() => new ExpressionCompiler(settings).Parse("h.Name ==", parameters, typeof(bool)));
        Assert.Equal(theirs.GetType(), ours.GetType());
        Assert.Equal(theirs.Message, ours.Message);
    }

    public sealed record Probe(string Name, string Version, IReadOnlyList<string> Names);
}
