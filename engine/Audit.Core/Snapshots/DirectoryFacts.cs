namespace Audit.Core.Snapshots;

/// <summary>Active Directory facts, read over LDAP.</summary>
public sealed record DirectoryFacts
{
    /// <summary>DNS domain name, e.g. lab.test.</summary>
    public string? Domain { get; init; }
    /// <summary>Where it was read from (ldap://dc1:389), without credentials.</summary>
    public string? Source { get; init; }
    public string? BaseDn { get; init; }
    public CollectionStatus Collection { get; init; } = new() { Collector = FactFamilies.Directory, Status = CollectionState.Error, Message = "not collected" };

    [CollectedBy(FactFamilies.Directory)]
    public IReadOnlyList<ComputerFacts> Computers { get; init; } = [];

    /// <summary>Groups that carry msDS-AllowedToDelegateTo (delegation set on a group has no effect on its members).</summary>
    [CollectedBy(FactFamilies.Directory)]
    public IReadOnlyList<GroupFacts> Groups { get; init; } = [];
}

public sealed record ComputerFacts
{
    /// <summary>sAMAccountName including the trailing $ (ZULU$).</summary>
    public string SamAccountName { get; init; } = "";
    public string? DnsHostName { get; init; }
    public string DistinguishedName { get; init; } = "";
    public int UserAccountControl { get; init; }
    public UacFlags Flags { get; init; } = new();
    public IReadOnlyList<string> AllowedToDelegateTo { get; init; } = [];
    public IReadOnlyList<string> ServicePrincipalNames { get; init; } = [];
    public string? OperatingSystem { get; init; }
    public string? OperatingSystemVersion { get; init; }
    /// <summary>msDS-AllowedToActOnBehalfOfOtherIdentity is set (resource-based constrained delegation onto this computer).</summary>
    public bool HasResourceBasedDelegation { get; init; }
    /// <summary>SIDs allowed by the RBCD security descriptor, where it could be parsed.</summary>
    public IReadOnlyList<string> ResourceBasedDelegationSids { get; init; } = [];
    public string? ObjectSid { get; init; }
}

/// <summary>userAccountControl bits decoded; the raw number is kept beside it.</summary>
public sealed record UacFlags
{
    /// <summary>ACCOUNTDISABLE 0x2.</summary>
    public bool Disabled { get; init; }
    /// <summary>SERVER_TRUST_ACCOUNT 0x2000 (domain controllers).</summary>
    public bool ServerTrustAccount { get; init; }
    /// <summary>TRUSTED_FOR_DELEGATION 0x80000 (unconstrained).</summary>
    public bool TrustedForDelegation { get; init; }
    /// <summary>TRUSTED_TO_AUTH_FOR_DELEGATION 0x1000000 (protocol transition, "use any authentication protocol").</summary>
    public bool TrustedToAuthForDelegation { get; init; }

    public const int AccountDisable = 0x2;
    public const int ServerTrust = 0x2000;
    public const int TrustedForDelegationBit = 0x80000;
    public const int TrustedToAuthForDelegationBit = 0x1000000;

    public static UacFlags Decode(int uac) => new()
    {
        Disabled = (uac & AccountDisable) != 0,
        ServerTrustAccount = (uac & ServerTrust) != 0,
        TrustedForDelegation = (uac & TrustedForDelegationBit) != 0,
        TrustedToAuthForDelegation = (uac & TrustedToAuthForDelegationBit) != 0,
    };
}

public sealed record GroupFacts
{
    public string SamAccountName { get; init; } = "";
    public string DistinguishedName { get; init; } = "";
    public IReadOnlyList<string> AllowedToDelegateTo { get; init; } = [];
    public IReadOnlyList<string> Members { get; init; } = [];
}
