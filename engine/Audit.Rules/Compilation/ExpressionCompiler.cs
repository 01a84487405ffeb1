using System.Collections;
using System.Linq.Dynamic.Core;
using System.Linq.Dynamic.Core.Parser;
using System.Linq.Expressions;
using FastExpressionCompiler;
using RulesEngine.HelperFunctions;
using RulesEngine.Models;

namespace Audit.Rules.Compilation;

/// <summary>
/// The one compile path of rule expressions. Parsing is what RulesEngine's <c>RuleExpressionParser.Parse</c> does with the
/// engine's <see cref="ReSettings"/>: System.Linq.Dynamic.Core's <see cref="ExpressionParser"/> with a
/// <see cref="ParsingConfig"/> holding RulesEngine's <see cref="RulesEngine.CustomTypeProvider"/> over the settings' custom
/// types and their case sensitivity, a syntax error thrown as <see cref="System.Linq.Dynamic.Core.Exceptions.ParseException"/>
/// (<see cref="ReSettings.EnableExceptionAsErrorMessageForRuleExpressionParsing"/>), so a rule means what it means in
/// RulesEngine. One difference, in cost only: the provider's custom types are the declared ones (<see cref="DeclaredTypes"/>)
/// without Dynamic LINQ's scan of every loaded assembly for <c>[DynamicLinqType]</c>, which no assembly of this tool or its
/// packages uses (tested: the scanning provider finds the same set) and which took a tenth of a second of every start.
/// The tree is then checked by <see cref="ExpressionGuard"/>, rewritten by <see cref="EvaluationBudget"/>, and compiled here
/// as RulesEngine's <c>RuleExpressionParser.Compile</c> wraps an expression (one object[] argument whose element i is
/// converted to parameter i's type, FastExpressionCompiler as with <see cref="ReSettings.UseFastExpressionCompiler"/>).
/// RulesEngine's Compile cannot be called instead: it parses the text again, so the delegate would not be the tree that was
/// checked, and it has no place for the budget.
/// </summary>
internal sealed class ExpressionCompiler
{
    private readonly ParsingConfig _config;

    public ExpressionCompiler(ReSettings settings)
    {
        if (!settings.EnableExceptionAsErrorMessageForRuleExpressionParsing)
        {
            throw new ArgumentException("rule expressions are parsed with syntax errors thrown, never turned into a constant", nameof(settings));
        }
        _config = new ParsingConfig
        {
            CustomTypeProvider = new DeclaredTypeProvider(settings.CustomTypes),
            IsCaseSensitive = settings.IsExpressionCaseSensitive,
        };
    }

    /// <summary>Parses <paramref name="expression"/> over <paramref name="parameters"/>; <paramref name="returnType"/> null keeps its own type.</summary>
    public Expression Parse(string expression, ParameterExpression[] parameters, Type? returnType) =>
        new ExpressionParser(parameters, expression, [], _config).Parse(returnType);

    /// <summary>The types RulesEngine's <see cref="RulesEngine.CustomTypeProvider"/> adds to the ones Dynamic LINQ finds by
    /// scanning: the custom types, <see cref="ExpressionUtils"/>, <see cref="Enumerable"/>, their base types and interfaces,
    /// and <see cref="IEnumerable"/> (the same closure, computed the same way).</summary>
    internal static HashSet<Type> DeclaredTypes(Type[]? customTypes)
    {
        var types = new HashSet<Type>(customTypes ?? []) { typeof(ExpressionUtils), typeof(Enumerable) };
        var queue = new Queue<Type>(types);
        while (queue.Count > 0)
        {
            var t = queue.Dequeue();
            if (t.BaseType is { } baseType && types.Add(baseType))
            {
                queue.Enqueue(baseType);
            }
            foreach (var i in t.GetInterfaces())
            {
                if (types.Add(i))
                {
                    queue.Enqueue(i);
                }
            }
        }
        types.Add(typeof(IEnumerable));
        return types;
    }

    /// <summary>RulesEngine's provider (type resolution and extension methods unchanged) whose custom types are
    /// <see cref="DeclaredTypes"/>, without the assembly scan.</summary>
    internal sealed class DeclaredTypeProvider(Type[]? customTypes) : RulesEngine.CustomTypeProvider(customTypes)
    {
        private readonly HashSet<Type> _types = DeclaredTypes(customTypes);

        public override HashSet<Type> GetCustomTypes() => _types;
    }

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
