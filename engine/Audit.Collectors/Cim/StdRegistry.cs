using Audit.Core.Snapshots;

namespace Audit.Collectors.Cim;

/// <summary>Registry reads over CIM: static methods of StdRegProv in root/default (HKLM only).</summary>
public static class StdRegistry
{
    public const string ClassName = "StdRegProv";
    /// <summary>HKEY_LOCAL_MACHINE as StdRegProv expects it (UInt32).</summary>
    public const uint HklmKey = 2147483650;
    public const int RegSz = 1;

    /// <summary>StdRegProv ReturnValue 2: key or value not found.</summary>
    public const long NotFound = 2;

    /// <summary>Value names and types under an HKLM key; null when the key does not exist.</summary>
    public static async Task<IReadOnlyList<(string Name, int Type)>?> EnumValuesAsync(HostCollectionContext context, string subKey)
    {
        var output = await context.Session.InvokeStaticAsync(CimNamespaces.Default, ClassName, "EnumValues",
            new Dictionary<string, object?> { ["hDefKey"] = HklmKey, ["sSubKeyName"] = subKey }, context.CancellationToken).ConfigureAwait(false);
        if (output.ReturnValue == NotFound)
        {
            return null;
        }
        Check(output, "EnumValues", subKey);
        var names = output.OutParameters.GetStrings("sNames");
        // An int[] from MI; over WS-Management text, and a one-element array looks like a scalar on the wire.
        var types = output.OutParameters.GetStrings("Types").Select(t => (int)(CimRecord.ToInt64(t) ?? 0)).ToList();
        // A key with values but no names (or a mismatch) is reported, not guessed.
        if (types.Count != names.Count)
        {
            throw new FactCollectionException(CollectionState.Error, $"StdRegProv.EnumValues on HKLM\\{subKey} returned {names.Count} names but {types.Count} types");
        }
        return [.. names.Select((n, i) => (n, types[i]))];
    }

    public static async Task<string?> GetStringValueAsync(HostCollectionContext context, string subKey, string valueName)
    {
        var output = await context.Session.InvokeStaticAsync(CimNamespaces.Default, ClassName, "GetStringValue",
            new Dictionary<string, object?> { ["hDefKey"] = HklmKey, ["sSubKeyName"] = subKey, ["sValueName"] = valueName }, context.CancellationToken).ConfigureAwait(false);
        if (output.ReturnValue == NotFound)
        {
            return null;
        }
        Check(output, "GetStringValue", $"{subKey}\\{valueName}");
        return output.OutParameters.GetString("sValue");
    }

    public static async Task<long?> GetDwordValueAsync(HostCollectionContext context, string subKey, string valueName)
    {
        var output = await context.Session.InvokeStaticAsync(CimNamespaces.Default, ClassName, "GetDWORDValue",
            new Dictionary<string, object?> { ["hDefKey"] = HklmKey, ["sSubKeyName"] = subKey, ["sValueName"] = valueName }, context.CancellationToken).ConfigureAwait(false);
        if (output.ReturnValue == NotFound)
        {
            return null;
        }
        Check(output, "GetDWORDValue", $"{subKey}\\{valueName}");
        return output.OutParameters.GetLong("uValue");
    }

    private static void Check(CimMethodOutput output, string method, string what)
    {
        if (output.ReturnValue is not 0)
        {
            // ReturnValue is a Win32 error code: 5 access denied, 1 invalid function...
            var code = output.ReturnValue is { } v && v is >= int.MinValue and <= int.MaxValue ? (int)v : (int?)null;
            var meaning = code == 5 ? " (access denied)" : "";
            throw new FactCollectionException(CollectionState.Error, $"StdRegProv.{method} on HKLM\\{what} returned {output.ReturnValue?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}{meaning}", code);
        }
    }
}
