using System.Linq.Expressions;
using FastExpressionCompiler;
using RulesEngine.ExpressionBuilders;
using RulesEngine.Models;

namespace Audit.Rules.Compilation;

/// <summary>
/// The one compile path of rule expressions. Parsing is RulesEngine's own public API, <see cref="RuleExpressionParser.Parse"/>
/// with the engine's <see cref="ReSettings"/> (its custom types and case sensitivity, over System.Linq.Dynamic.Core), so a rule
/// means what it means in RulesEngine. The tree it returns is then checked by <see cref="ExpressionGuard"/>, rewritten by
/// <see cref="EvaluationBudget"/>, and compiled here as RulesEngine's <c>RuleExpressionParser.Compile</c> wraps an expression
/// (one object[] argument whose element i is converted to parameter i's type, FastExpressionCompiler as with
/// <see cref="ReSettings.UseFastExpressionCompiler"/>). RulesEngine's Compile cannot be called instead: it parses the text
/// again, so the delegate would not be the tree that was checked, and it has no place for the budget.
/// </summary>
internal sealed class ExpressionCompiler(ReSettings settings)
{
    private readonly RuleExpressionParser _parser = new(settings);

    /// <summary>Parses <paramref name="expression"/> over <paramref name="parameters"/>; <paramref name="returnType"/> null keeps its own type.</summary>
    public Expression Parse(string expression, ParameterExpression[] parameters, Type? returnType) =>
        _parser.Parse(expression, parameters, returnType);

    /// <summary>A parsed body over <paramref name="parameters"/> as <c>Func&lt;object[], T&gt;</c>, within the evaluation budget
    /// (checked arithmetic, sized strings, counted enumeration: <see cref="EvaluationBudget"/>).</summary>
    public static Func<object[], T> Compile<T>(Expression body, ParameterExpression[] parameters)
    {
        body = EvaluationBudget.Rewrite(body);
        var args = Expression.Parameter(typeof(object[]), "args");
        var result = body.Type == typeof(T) ? body : Expression.Convert(body, typeof(T));
        var steps = parameters
            .Select((p, i) => (Expression)Expression.Assign(p, Expression.Convert(Expression.ArrayAccess(args, Expression.Constant(i)), p.Type)))
            .Append(result);
        return Expression.Lambda<Func<object[], T>>(Expression.Block(parameters, steps), args).CompileFast();
    }
}
