using System.Linq.Expressions;
using System.Reflection;

namespace Audit.Rules.Compilation;

/// <summary>
/// What one check (a rule on one entity) may produce while it evaluates, so that an allowed but abusive expression (chained
/// <c>Replace</c>, nested <c>SelectMany</c>) becomes an error verdict naming the rule instead of exhausting memory, and so
/// that arithmetic on facts cannot wrap around into a pass. Applied to every compiled expression by
/// <see cref="Rewrite"/>: integer arithmetic and numeric conversions become checked (overflow is an error verdict);
/// strings grown by <c>Replace</c>, <c>Concat</c> (<c>+</c>) and <c>Join</c> are sized before they are built; the
/// elements enumerated through LINQ operators are counted. Counters are per thread and reset by the evaluator for each check.
/// </summary>
public static class EvaluationBudget
{
    /// <summary>Longest string an expression may build (characters).</summary>
    public const int MaxStringLength = 16 * 1024 * 1024;

    /// <summary>Characters all strings built by one check may add up to.</summary>
    public const long MaxCharsPerCheck = 64L * 1024 * 1024;

    /// <summary>Elements one check may pull through LINQ operators (all operators together).</summary>
    public const long MaxElementsPerCheck = 10_000_000;

    [ThreadStatic]
    private static long t_chars;

    [ThreadStatic]
    private static long t_elements;

    /// <summary>Starts the budget of a new check on this thread.</summary>
    public static void Reset()
    {
        t_chars = 0;
        t_elements = 0;
    }

    /// <summary>Rewrites a parsed expression so that it evaluates within the budget (see the type's summary).</summary>
    public static Expression Rewrite(Expression body) => new Rewriter().Visit(body);

    private static void Charge(long length)
    {
        if (length > MaxStringLength)
        {
            throw new EvaluationBudgetException($"it would build a string of {length:N0} characters (at most {MaxStringLength:N0} allowed)");
        }
        t_chars += length;
        if (t_chars > MaxCharsPerCheck)
        {
            throw new EvaluationBudgetException($"its strings add up to more than {MaxCharsPerCheck:N0} characters");
        }
    }

    /// <summary><c>s.Replace(oldValue, newValue)</c>, sized first.</summary>
    public static string Replace(string s, string oldValue, string? newValue)
    {
        ArgumentNullException.ThrowIfNull(s);
        var grow = (long)(newValue?.Length ?? 0) - oldValue.Length;
        if (grow > 0 && oldValue.Length > 0)
        {
            long count = 0;
            for (var i = s.IndexOf(oldValue, StringComparison.Ordinal); i >= 0; i = s.IndexOf(oldValue, i + oldValue.Length, StringComparison.Ordinal))
            {
                count++;
            }
            Charge(s.Length + (count * grow));
        }
        var result = s.Replace(oldValue, newValue, StringComparison.Ordinal);
        Charge(result.Length);
        return result;
    }

    /// <summary><c>s.Replace(oldChar, newChar)</c> (same length).</summary>
    public static string Replace(string s, char oldChar, char newChar)
    {
        ArgumentNullException.ThrowIfNull(s);
        Charge(s.Length);
        return s.Replace(oldChar, newChar);
    }

    /// <summary>String concatenation, sized first.</summary>
    public static string Concat(string? a, string? b)
    {
        Charge((long)(a?.Length ?? 0) + (b?.Length ?? 0));
        return string.Concat(a, b);
    }

    /// <summary>Concatenation of any values (as <c>string.Concat(object, ...)</c> does), sized first.</summary>
    public static string ConcatObjects(object?[] values)
    {
        var parts = new string[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            parts[i] = values[i]?.ToString() ?? "";
        }
        return ConcatStrings(parts);
    }

    /// <summary>Concatenation of strings (a chain <c>a + b + c ...</c> at once, without the strings in between), sized first.</summary>
    public static string ConcatStrings(string?[] values)
    {
        long length = 0;
        foreach (var v in values)
        {
            length += v?.Length ?? 0;
        }
        Charge(length);
        return string.Concat(values);
    }

    /// <summary><c>string.Join</c> of strings, sized first.</summary>
    public static string Join(string? separator, IEnumerable<string?> values)
    {
        var parts = Elements(values).ToList();
        Charge(parts.Sum(p => (long)(p?.Length ?? 0)) + ((long)(separator?.Length ?? 0) * Math.Max(0, parts.Count - 1)));
        return string.Join(separator, parts);
    }

    /// <summary>
    /// The elements of <paramref name="source"/>, counted against the check's budget: a list or an array (a fact list, a
    /// materialised result) is charged its whole length at once and passed on as it is, so LINQ keeps its fast paths for
    /// it and nothing is allocated; anything else is counted element by element as it is pulled. Charging a list whole
    /// counts more than an operator that stops early (<c>Any</c>, <c>First</c>) pulls: the bound stays an upper bound.
    /// </summary>
    public static IEnumerable<T> Elements<T>(IEnumerable<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source is T[] or List<T>)
        {
            ChargeElements(((IReadOnlyCollection<T>)source).Count);
            return source;
        }
        return Iterate(source);

        static IEnumerable<T> Iterate(IEnumerable<T> source)
        {
            foreach (var item in source)
            {
                ChargeElements(1);
                yield return item;
            }
        }
    }

    private static void ChargeElements(int count)
    {
        t_elements += count;
        if (t_elements > MaxElementsPerCheck)
        {
            throw new EvaluationBudgetException($"it enumerates more than {MaxElementsPerCheck:N0} elements");
        }
    }

    private static readonly MethodInfo ElementsMethod = typeof(EvaluationBudget).GetMethod(nameof(Elements))!;
    private static readonly MethodInfo ReplaceString = typeof(EvaluationBudget).GetMethod(nameof(Replace), [typeof(string), typeof(string), typeof(string)])!;
    private static readonly MethodInfo ReplaceChar = typeof(EvaluationBudget).GetMethod(nameof(Replace), [typeof(string), typeof(char), typeof(char)])!;
    private static readonly MethodInfo ConcatTwo = typeof(EvaluationBudget).GetMethod(nameof(Concat))!;
    private static readonly MethodInfo ConcatMany = typeof(EvaluationBudget).GetMethod(nameof(ConcatObjects))!;
    private static readonly MethodInfo ConcatManyStrings = typeof(EvaluationBudget).GetMethod(nameof(ConcatStrings))!;
    private static readonly MethodInfo JoinStrings = typeof(EvaluationBudget).GetMethod(nameof(Join))!;

    private static bool IsInteger(Type t)
    {
        var u = Nullable.GetUnderlyingType(t) ?? t;
        return u == typeof(int) || u == typeof(long) || u == typeof(short) || u == typeof(sbyte) || u == typeof(byte)
            || u == typeof(ushort) || u == typeof(uint) || u == typeof(ulong) || u == typeof(decimal);
    }

    private static bool IsNumeric(Type t) => IsInteger(t) || (Nullable.GetUnderlyingType(t) ?? t) is var u && (u == typeof(double) || u == typeof(float));

    private sealed class Rewriter : ExpressionVisitor
    {
        protected override Expression VisitBinary(BinaryExpression node)
        {
            if (IsConcat(node))
            {
                // a + b + c + ... (left to right, as parsed) is built once, not as one string per '+'.
                var parts = new List<Expression>();
                Flatten(node, parts);
                if (parts.All(p => p.Type == typeof(string)))
                {
                    return parts.Count == 2 ? Expression.Call(ConcatTwo, parts[0], parts[1]) : Expression.Call(ConcatManyStrings, Expression.NewArrayInit(typeof(string), parts));
                }
                return Expression.Call(ConcatMany, Expression.NewArrayInit(typeof(object), parts.Select(p => p.Type == typeof(object) ? p : Expression.Convert(p, typeof(object)))));
            }
            var left = Visit(node.Left)!;
            var right = Visit(node.Right)!;
            if (node.Method is null && IsInteger(node.Type))
            {
                switch (node.NodeType)
                {
                    case ExpressionType.Add:
                        return Expression.AddChecked(left, right);
                    case ExpressionType.Subtract:
                        return Expression.SubtractChecked(left, right);
                    case ExpressionType.Multiply:
                        return Expression.MultiplyChecked(left, right);
                    default:
                        break;
                }
            }
            return node.Update(left, VisitAndConvert(node.Conversion, nameof(VisitBinary)), right);
        }

        protected override Expression VisitUnary(UnaryExpression node)
        {
            var operand = Visit(node.Operand)!;
            if (node.Method is null && node.NodeType == ExpressionType.Negate && IsInteger(node.Type))
            {
                return Expression.NegateChecked(operand);
            }
            if (node.Method is null && node.NodeType == ExpressionType.Convert && IsNumeric(operand.Type) && IsInteger(node.Type))
            {
                return Expression.ConvertChecked(operand, node.Type);
            }
            return node.Update(operand);
        }

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            var m = node.Method;
            var args = node.Arguments.Select(a => Visit(a)!).ToList();
            var target = node.Object is null ? null : Visit(node.Object);
            if (m.DeclaringType == typeof(string))
            {
                var p = m.GetParameters();
                if (m.Name == nameof(string.Replace) && target is not null && p.Length == 2 && p[0].ParameterType == typeof(string))
                {
                    return Expression.Call(ReplaceString, target, args[0], args[1]);
                }
                if (m.Name == nameof(string.Replace) && target is not null && p.Length == 2 && p[0].ParameterType == typeof(char))
                {
                    return Expression.Call(ReplaceChar, target, args[0], args[1]);
                }
                if (m.Name == nameof(string.Concat) && m.IsStatic)
                {
                    var parts = p.Length == 1 && p[0].ParameterType.IsArray
                        ? args[0]
                        : Expression.NewArrayInit(typeof(object), args.Select(a => Expression.Convert(a, typeof(object))));
                    return p.Length == 1 && p[0].ParameterType.IsArray && p[0].ParameterType != typeof(object[])
                        ? Expression.Call(ConcatMany, Expression.Convert(parts, typeof(object[])))
                        : Expression.Call(ConcatMany, parts);
                }
                if (m.Name == nameof(string.Join) && m.IsStatic && p.Length == 2 && p[0].ParameterType == typeof(string)
                    && typeof(IEnumerable<string>).IsAssignableFrom(p[1].ParameterType))
                {
                    return Expression.Call(JoinStrings, args[0], Expression.Convert(args[1], typeof(IEnumerable<string?>)));
                }
            }
            if (m.DeclaringType == typeof(Enumerable) && args.Count > 0 && EnumerableElement(m.GetParameters()[0].ParameterType) is { } element)
            {
                args[0] = Expression.Call(ElementsMethod.MakeGenericMethod(element), Expression.Convert(args[0], typeof(IEnumerable<>).MakeGenericType(element)));
            }
            return node.Update(target, args);
        }

        private static bool IsConcat(Expression e) =>
            e is BinaryExpression { NodeType: ExpressionType.Add, Method: { } m } && m.DeclaringType == typeof(string) && m.Name == nameof(string.Concat);

        private void Flatten(Expression e, List<Expression> parts)
        {
            if (IsConcat(e))
            {
                var b = (BinaryExpression)e;
                Flatten(b.Left, parts);
                Flatten(b.Right, parts);
                return;
            }
            parts.Add(Visit(e)!);
        }

        private static Type? EnumerableElement(Type t) =>
            t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IEnumerable<>) ? t.GetGenericArguments()[0] : null;
    }
}

/// <summary>A check went beyond <see cref="EvaluationBudget"/>: the verdict is error, naming the rule.</summary>
public sealed class EvaluationBudgetException : Exception
{
    public EvaluationBudgetException()
    {
    }

    public EvaluationBudgetException(string message) : base("exceeds the evaluation budget: " + message)
    {
    }

    public EvaluationBudgetException(string message, Exception inner) : base(message, inner)
    {
    }
}
