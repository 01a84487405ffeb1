namespace Audit.Core;

/// <summary>Stable diagnostic codes. Never renumber: users grep for them. Documented in README.</summary>
public static class DiagnosticCodes
{
    // Files and JSON
    public const string FileNotFound = "AUD0001";
    public const string FileTooLarge = "AUD0002";
    public const string InvalidJson = "AUD0003";
    public const string SchemaViolation = "AUD0004";
    public const string UnsupportedApiVersion = "AUD0005";
    public const string InvalidInput = "AUD0006";
    public const string CannotWrite = "AUD0007";
    public const string DuplicateKey = "AUD0008";

    // Rule sets
    public const string DuplicateRuleId = "AUD0010";
    public const string UnknownScope = "AUD0011";
    public const string ExpressionSyntax = "AUD0012";
    public const string UnknownMember = "AUD0013";
    public const string DisallowedMember = "AUD0014";
    public const string ExpressionType = "AUD0015";
    public const string InvalidParameter = "AUD0016";
    public const string InvalidLookup = "AUD0017";
    public const string UnknownPlaceholder = "AUD0018";
    public const string DuplicateRuleSetId = "AUD0019";
    public const string NoRules = "AUD0020";
    public const string ExpressionTooComplex = "AUD0021";

    // Waivers and selection
    public const string InvalidWaiver = "AUD0030";
    public const string WaiverUnmatched = "AUD0031";
    public const string WaiverExpired = "AUD0032";
    public const string WaiverExpiringSoon = "AUD0033";
    public const string InvalidSelection = "AUD0034";

    // Snapshot content
    public const string DuplicateHost = "AUD0040";
    public const string DirectoryConflict = "AUD0042";

    // Collection
    public const string InvalidInventory = "AUD0050";
    public const string InsecureDirectoryBind = "AUD0051";

    /// <summary>A report template (--template) does not parse.</summary>
    public const string TemplateError = "AUD0052";

    // Rule cases (audit test)
    /// <summary>A rule case cannot be run as written: duplicate name, unknown rule, an edit whose path names nothing, a base snapshot that does not load.</summary>
    public const string InvalidRuleCase = "AUD0060";
}
