using System.Linq.Dynamic.Core;
using System.Linq.Dynamic.Core.Parser;
using System.Linq.Expressions;
using FastExpressionCompiler;
using RulesEngine.Models;

namespace Audit.Rules;

/// <summary>
/// Parses rule expressions as RulesEngine's RuleExpressionParser does (System.Linq.Dynamic.Core's ExpressionParser with
/// RulesEngine's CustomTypeProvider over the same custom types and case sensitivity) and compiles the very tree that
/// <see cref="ExpressionGuard"/> checked into a delegate wrapped as RulesEngine wraps it: one object[] argument whose
/// element i is converted to parameter i's type, compiled with FastExpressionCompiler.
/// The difference is cost: one parsing configuration (one scan of the loaded assemblies for custom types) serves the whole
/// load, and each expression is parsed once instead of once to check and again to compile.
/// </summary>
internal sealed class ExpressionCompiler(ReSettings settings)
{
    private readonly ParsingConfig _config = new()
    {
        CustomTypeProvider = new RulesEngine.CustomTypeProvider(settings.CustomTypes),
        IsCaseSensitive = settings.IsExpressionCaseSensitive,
    };

    /// <summary>Parses <paramref name="expression"/> over <paramref name="parameters"/>; <paramref name="returnType"/> null keeps its own type.</summary>
    public Expression Parse(string expression, ParameterExpression[] parameters, Type? returnType) =>
        new ExpressionParser(parameters, expression, [], _config).Parse(returnType);

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
