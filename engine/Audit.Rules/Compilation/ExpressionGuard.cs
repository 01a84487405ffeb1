using System.Linq.Expressions;
using System.Reflection;
using Audit.Core;
using Audit.Core.Snapshots;

namespace Audit.Rules.Compilation;

/// <summary>
/// Walks a parsed rule expression and rejects anything outside an explicit allow-list of types and members
/// (rule files may come from other teams: no reflection, I/O, environment, clocks, unbounded generators or padding),
/// and records which collectors the expression depends on (from <see cref="CollectedByAttribute"/> on fact properties),
/// so that a rule touching a fact whose collection failed gives an error verdict without the author declaring it.
/// </summary>
internal sealed class ExpressionGuard : ExpressionVisitor
{
    public const int MaxNodes = 4000;

    private readonly IReadOnlySet<ParameterExpression> _inputs;
    private readonly Func<Type, bool> _isExtraAllowedType;
    private int _nodes;

    public ExpressionGuard(IReadOnlySet<ParameterExpression> inputs, Func<Type, bool> isExtraAllowedType)
    {
        _inputs = inputs;
        _isExtraAllowedType = isExtraAllowedType;
    }

    /// <summary>What the expression may not do, each with its diagnostic code.</summary>
    public List<GuardViolation> Violations { get; } = [];

    /// <summary>(input name or "*" for facts reached through a lambda parameter, collector name).</summary>
    public HashSet<(string Input, string Collector)> Dependencies { get; } = [];

    public HashSet<string> ReferencedInputs { get; } = new(StringComparer.Ordinal);

    public override Expression? Visit(Expression? node)
    {
        if (node is null)
        {
            return null;
        }
        if (++_nodes == MaxNodes + 1)
        {
            Violations.Add(new(DiagnosticCodes.ExpressionTooComplex, $"expression is too complex (more than {MaxNodes} nodes)"));
        }
        switch (node.NodeType)
        {
            case ExpressionType.Invoke:
            case ExpressionType.Block:
            case ExpressionType.Loop:
            case ExpressionType.Goto:
            case ExpressionType.Try:
            case ExpressionType.Assign:
            case ExpressionType.Dynamic:
            case ExpressionType.Extension:
            case ExpressionType.NewArrayBounds:
            case ExpressionType.ListInit:
            case ExpressionType.MemberInit:
            case ExpressionType.RuntimeVariables:
            case ExpressionType.Throw:
                Violations.Add(new(DiagnosticCodes.DisallowedMember, $"'{node.NodeType}' expressions are not allowed in rules"));
                return node;
            default:
                break;
        }
        if (!IsAllowedType(node.Type))
        {
            Violations.Add(new(DiagnosticCodes.DisallowedMember, $"type '{Describe(node.Type)}' is not allowed in rules"));
            return node;
        }
        return base.Visit(node);
    }

    protected override Expression VisitParameter(ParameterExpression node)
    {
        if (_inputs.Contains(node))
        {
            ReferencedInputs.Add(node.Name!);
        }
        return node;
    }

    protected override Expression VisitConstant(ConstantExpression node)
    {
        if (node.Value is Type or MemberInfo or Assembly or Delegate)
        {
            Violations.Add(new(DiagnosticCodes.DisallowedMember, "reflection objects are not allowed in rules"));
        }
        return node;
    }

    protected override Expression VisitMember(MemberExpression node)
    {
        var member = node.Member;
        var declaring = member.DeclaringType!;
        if (node.Expression is null && !IsAllowedStaticMember(member))
        {
            Violations.Add(new(DiagnosticCodes.DisallowedMember, $"'{Describe(declaring)}.{member.Name}' is not allowed in rules"));
        }
        else if (!IsAllowedType(declaring) && !IsAllowedMemberOfNonListedType(member))
        {
            Violations.Add(new(DiagnosticCodes.DisallowedMember, $"member '{Describe(declaring)}.{member.Name}' is not allowed in rules"));
        }
        if (member.GetCustomAttribute<CollectedByAttribute>() is { } collected)
        {
            Dependencies.Add((RootInput(node.Expression), collected.Collector));
        }
        return base.VisitMember(node);
    }

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        if (!IsAllowedMethod(node.Method))
        {
            Violations.Add(new(DiagnosticCodes.DisallowedMember, $"method '{Describe(node.Method.DeclaringType!)}.{node.Method.Name}' is not allowed in rules"));
        }
        if (IsReplace(node) && GrowthOf(node) > MaxReplaceGrowth && !(node.Object is MethodCallExpression inner && IsReplace(inner) && GrowthOf(inner) > MaxReplaceGrowth))
        {
            // Provably unbounded in practice: refused at load (evaluation has its budget besides, see EvaluationBudget).
            Violations.Add(new(DiagnosticCodes.ExpressionTooComplex, $"expression is too complex: its chained Replace calls can grow a string more than {MaxReplaceGrowth:N0}-fold"));
        }
        foreach (var reads in node.Method.GetCustomAttributes<ReadsFactsAttribute>())
        {
            foreach (var arg in node.Arguments)
            {
                if (arg.Type != typeof(string) && !arg.Type.IsValueType)
                {
                    Dependencies.Add((RootInput(arg), reads.Collector));
                }
            }
        }
        foreach (var ga in node.Method.IsGenericMethod ? node.Method.GetGenericArguments() : [])
        {
            if (!IsAllowedType(ga))
            {
                Violations.Add(new(DiagnosticCodes.DisallowedMember, $"type '{Describe(ga)}' is not allowed in rules"));
            }
        }
        return base.VisitMethodCall(node);
    }

    protected override Expression VisitBinary(BinaryExpression node)
    {
        if (node.Method is not null && !IsAllowedMethod(node.Method))
        {
            Violations.Add(new(DiagnosticCodes.DisallowedMember, $"operator '{Describe(node.Method.DeclaringType!)}.{node.Method.Name}' is not allowed in rules"));
        }
        return base.VisitBinary(node);
    }

    protected override Expression VisitUnary(UnaryExpression node)
    {
        if (node.Method is not null && !IsAllowedMethod(node.Method))
        {
            Violations.Add(new(DiagnosticCodes.DisallowedMember, $"conversion '{Describe(node.Method.DeclaringType!)}.{node.Method.Name}' is not allowed in rules"));
        }
        return base.VisitUnary(node);
    }

    protected override Expression VisitNew(NewExpression node)
    {
        // Dynamic LINQ's anonymous "new (a as x)" builds a DynamicClass; constructors of BCL types (new string('x', n)) are denied.
        if (!(node.Type.IsSubclassOf(typeof(System.Linq.Dynamic.Core.DynamicClass)) || node.Type == typeof(Version)))
        {
            Violations.Add(new(DiagnosticCodes.DisallowedMember, $"constructing '{Describe(node.Type)}' is not allowed in rules"));
        }
        return base.VisitNew(node);
    }

    protected override Expression VisitTypeBinary(TypeBinaryExpression node)
    {
        if (!IsAllowedType(node.TypeOperand))
        {
            Violations.Add(new(DiagnosticCodes.DisallowedMember, $"type '{Describe(node.TypeOperand)}' is not allowed in rules"));
        }
        return base.VisitTypeBinary(node);
    }

    private string RootInput(Expression? e)
    {
        while (true)
        {
            switch (e)
            {
                case ParameterExpression p:
                    return _inputs.Contains(p) ? p.Name! : "*";
                case MemberExpression m:
                    e = m.Expression;
                    continue;
                case UnaryExpression u:
                    e = u.Operand;
                    continue;
                case MethodCallExpression c when c.Object is not null:
                    e = c.Object;
                    continue;
                case MethodCallExpression c when c.Arguments.Count > 0:
                    e = c.Arguments[0];
                    continue;
                case ConditionalExpression ce:
                    e = ce.IfFalse;
                    continue;
                default:
                    return "*";
            }
        }
    }

    // ---------------------------------------------------------------- allow-lists

    private static readonly HashSet<Type> ScalarTypes =
    [
        typeof(object), typeof(bool), typeof(char), typeof(byte), typeof(short), typeof(int), typeof(long), typeof(uint), typeof(ulong),
        typeof(float), typeof(double), typeof(decimal), typeof(string), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan),
        typeof(Version), typeof(Guid), typeof(void),
    ];

    private static readonly HashSet<Type> FactTypes =
    [
        typeof(HostFacts), typeof(OsFacts), typeof(RoleFacts), typeof(VmFacts), typeof(GuestFacts), typeof(DiskFacts), typeof(IntegrationComponentFacts), typeof(HotfixFacts),
        typeof(LiveMigrationFacts), typeof(MigrationNetworkFacts), typeof(StorageFacts), typeof(ScheduledTaskFacts), typeof(TaskTriggerFacts),
        typeof(SmbFacts), typeof(SmbShareFacts), typeof(CollectionStatus), typeof(CollectionState), typeof(DirectoryFacts), typeof(ComputerFacts),
        typeof(UacFlags), typeof(GroupFacts), typeof(ClusterFacts), typeof(HostPairFacts),
    ];

    private static readonly HashSet<Type> GenericDefinitions =
    [
        typeof(IEnumerable<>), typeof(IReadOnlyList<>), typeof(IReadOnlyCollection<>), typeof(IReadOnlyDictionary<,>), typeof(IList<>),
        typeof(ICollection<>), typeof(List<>), typeof(Dictionary<,>), typeof(KeyValuePair<,>), typeof(Nullable<>), typeof(IOrderedEnumerable<>),
        typeof(IGrouping<,>), typeof(Func<>), typeof(Func<,>), typeof(Func<,,>), typeof(IQueryable<>), typeof(IOrderedQueryable<>),
        typeof(Expression<>), typeof(IEqualityComparer<>), typeof(IComparer<>),
    ];

    internal bool IsAllowedType(Type t)
    {
        if (ScalarTypes.Contains(t) || FactTypes.Contains(t) || _isExtraAllowedType(t))
        {
            return true;
        }
        if (t.IsArray)
        {
            return t.GetArrayRank() == 1 && IsAllowedType(t.GetElementType()!);
        }
        if (t.IsGenericType)
        {
            var def = t.GetGenericTypeDefinition();
            return GenericDefinitions.Contains(def) && t.GetGenericArguments().All(IsAllowedType);
        }
        if (t == typeof(System.Collections.IEnumerable) || t == typeof(IQueryable) || t == typeof(StringComparer))
        {
            return true;
        }
        return t.IsSubclassOf(typeof(System.Linq.Dynamic.Core.DynamicClass));
    }

    private static readonly HashSet<string> EnumerableMethods = new(StringComparer.Ordinal)
    {
        "Any", "All", "Count", "LongCount", "Where", "Select", "SelectMany", "Contains", "First", "FirstOrDefault", "Last", "LastOrDefault",
        "Single", "SingleOrDefault", "Min", "Max", "Sum", "Average", "OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending",
        "Distinct", "ToList", "ToArray", "Except", "Intersect", "Union", "Concat", "Take", "Skip", "GroupBy", "DefaultIfEmpty",
        "SequenceEqual", "ElementAt", "ElementAtOrDefault", "AsEnumerable", "OfType", "Cast", "Reverse", "Order", "OrderDescending",
        "MinBy", "MaxBy", "DistinctBy", "AsQueryable",
        // Deliberately absent: Range, Repeat (unbounded generators), Aggregate (exponential growth), Zip/Chunk (not needed).
    };

    private static readonly HashSet<string> StringMethods = new(StringComparer.Ordinal)
    {
        "Contains", "StartsWith", "EndsWith", "IndexOf", "LastIndexOf", "ToUpper", "ToLower", "ToUpperInvariant", "ToLowerInvariant",
        "Trim", "TrimStart", "TrimEnd", "Substring", "Replace", "Split", "Equals", "CompareTo", "Compare", "CompareOrdinal",
        "IsNullOrEmpty", "IsNullOrWhiteSpace", "Join", "Concat", "ToString", "get_Chars", "op_Equality", "op_Inequality",
        // Deliberately absent: PadLeft, PadRight, Format (alignment), Create, Intern.
    };

    private static readonly HashSet<string> ValueMethods = new(StringComparer.Ordinal)
    {
        "CompareTo", "Equals", "ToString", "GetHashCode", "Parse", "op_Equality", "op_Inequality", "op_GreaterThan", "op_GreaterThanOrEqual",
        "op_LessThan", "op_LessThanOrEqual", "op_Addition", "op_Subtraction", "op_UnaryNegation", "op_Implicit", "op_Explicit",
        "AddDays", "AddHours", "AddMinutes", "AddSeconds", "Subtract", "FromDays", "FromHours", "FromMinutes", "FromSeconds",
        "GetValueOrDefault", "Abs", "Min", "Max", "Floor", "Ceiling", "Round", "Truncate",
        "ToInt32", "ToInt64", "ToDouble", "ToDecimal", "ToBoolean",
    };

    private static readonly HashSet<string> CollectionMethods = new(StringComparer.Ordinal)
    {
        "get_Item", "ContainsKey", "Contains", "get_Count", "IndexOf", "Equals", "GetHashCode", "ToString",
    };

    private bool IsAllowedMethod(MethodInfo m)
    {
        var d = m.DeclaringType!;
        if (d == typeof(Fn))
        {
            return m.IsPublic;
        }
        if (d == typeof(Enumerable) || d == typeof(Queryable))
        {
            return EnumerableMethods.Contains(m.Name);
        }
        if (d == typeof(string))
        {
            return StringMethods.Contains(m.Name);
        }
        if (d == typeof(object))
        {
            return m.Name is "Equals" or "ToString" or "GetHashCode";
        }
        if (d == typeof(Math) || d == typeof(Convert) || (ScalarTypes.Contains(d) && d != typeof(object)) || (d.IsGenericType && d.GetGenericTypeDefinition() == typeof(Nullable<>)))
        {
            return ValueMethods.Contains(m.Name);
        }
        if (d.IsGenericType && GenericDefinitions.Contains(d.GetGenericTypeDefinition()))
        {
            return CollectionMethods.Contains(m.Name);
        }
        if (d == typeof(StringComparer))
        {
            return m.Name is "get_OrdinalIgnoreCase" or "get_Ordinal";
        }
        if (FactTypes.Contains(d) || _isExtraAllowedType(d))
        {
            // Property getters and value equality of records; nothing else is declared on them.
            return m.Name.StartsWith("get_", StringComparison.Ordinal) || m.Name is "Equals" or "ToString" or "op_Equality" or "op_Inequality" or "GetHashCode";
        }
        return false;
    }

    private static bool IsAllowedStaticMember(MemberInfo member)
    {
        var d = member.DeclaringType!;
        if (d == typeof(DateTime) || d == typeof(DateTimeOffset))
        {
            // Clocks make results depend on when they run: rules use collectedAt instead.
            return member.Name is "MinValue" or "MaxValue" or "UnixEpoch";
        }
        if (d == typeof(StringComparer))
        {
            return member.Name is "OrdinalIgnoreCase" or "Ordinal";
        }
        return ScalarTypes.Contains(d) && d != typeof(object) || d == typeof(Math);
    }

    private static bool IsAllowedMemberOfNonListedType(MemberInfo member) =>
        member.DeclaringType == typeof(System.Collections.ICollection) && member.Name == "Count";

    /// <summary>Growth a chain of Replace calls with literal arguments may cause before validate refuses it.</summary>
    private const double MaxReplaceGrowth = 1_000_000;

    private static bool IsReplace(MethodCallExpression m) =>
        m.Method.DeclaringType == typeof(string) && m.Method.Name == nameof(string.Replace) && m.Arguments.Count == 2 && m.Arguments[0].Type == typeof(string);

    /// <summary>How many times longer a chain of literal Replace calls can make its string (each step: replacement / pattern).</summary>
    private static double GrowthOf(MethodCallExpression m)
    {
        var factor = 1.0;
        for (var e = m; e is not null && IsReplace(e); e = e.Object as MethodCallExpression)
        {
            if (e.Arguments[0] is ConstantExpression { Value: string { Length: > 0 } oldValue } && e.Arguments[1] is ConstantExpression { Value: string newValue })
            {
                factor *= Math.Max(1.0, (double)newValue.Length / oldValue.Length);
            }
        }
        return factor;
    }

    internal static string Describe(Type t)
    {
        if (!t.IsGenericType)
        {
            return t.Name;
        }
        var name = t.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return $"{(tick > 0 ? name[..tick] : name)}<{string.Join(", ", t.GetGenericArguments().Select(Describe))}>";
    }
}

/// <summary>One thing an expression may not do: the diagnostic code (AUD0014 not allowed, AUD0021 too complex) and the sentence.</summary>
internal sealed record GuardViolation(string Code, string Message);
