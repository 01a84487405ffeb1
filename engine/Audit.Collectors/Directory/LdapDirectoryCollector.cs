using System.Diagnostics;
using System.DirectoryServices.Protocols;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Directory;

/// <summary>Reads directory facts (computer accounts, delegation settings) from Active Directory.</summary>
public interface IDirectoryCollector
{
    /// <summary>Never throws for collection problems: they come back as <see cref="CollectionState.Error"/> in the facts.</summary>
    Task<DirectoryFacts> CollectAsync(DirectoryCollectorOptions options, CancellationToken cancellationToken = default);
}

/// <summary>
/// Reads every computer object (and every group carrying msDS-AllowedToDelegateTo) over LDAP with
/// System.DirectoryServices.Protocols, using paged searches and explicitly requested attributes.
/// Runs on Windows (wldap32) and Linux (OpenLDAP libldap).
/// </summary>
/// <remarks>
/// TLS. Before any LDAP traffic, <see cref="LdapTlsProbe"/> connects and (for ldaps:// and StartTLS) completes a TLS
/// handshake in .NET, accepting only a chain to the CA file (CustomRootTrust) or, without one, the system trust, and a
/// subjectAltName matching the host; otherwise the collection stops with a clear message and no credentials are sent.
/// The LDAP connection then verifies again: on Windows through VerifyServerCertificate with the same check; on Linux
/// that callback is not available (setting it throws), so the CA is handed to libldap as a private
/// TrustedCertificatesDirectory plus StartNewTlsSessionContext(), and libldap checks chain and host name itself
/// (Debian's libldap uses GnuTLS, which reads every PEM file of the directory; an OpenSSL-built libldap would need
/// hash-named files). libldap may also trust the TLS_CACERT of /etc/ldap/ldap.conf beside that directory; the .NET
/// check before it trusts only the CA file.
/// StartTLS on Linux: S.DS.Protocols 10 sends StartTLS on a handle that has not connected yet, and libldap then
/// connects to its default host (localhost:389) instead of the configured server; the collector reads the rootDSE
/// anonymously first so the handle is connected to the right server before StartTLS and the bind.
/// </remarks>
public sealed class LdapDirectoryCollector : IDirectoryCollector
{
    internal const string ComputerFilter = "(objectCategory=computer)";
    internal const string DelegatingGroupFilter = "(&(objectCategory=group)(msDS-AllowedToDelegateTo=*))";

    internal static readonly string[] ComputerAttributes =
    [
        "sAMAccountName", "dNSHostName", "distinguishedName", "userAccountControl", "msDS-AllowedToDelegateTo",
        "servicePrincipalName", "operatingSystem", "operatingSystemVersion", "objectSid", "msDS-AllowedToActOnBehalfOfOtherIdentity",
    ];

    internal static readonly string[] GroupAttributes = ["sAMAccountName", "distinguishedName", "msDS-AllowedToDelegateTo", "member"];

    /// <summary>Case-insensitive ordinal order, ties broken by ordinal order, so output never depends on the server's order.</summary>
    internal static readonly IComparer<string> ValueOrder = Comparer<string>.Create((a, b) =>
    {
        var c = StringComparer.OrdinalIgnoreCase.Compare(a, b);
        return c != 0 ? c : StringComparer.Ordinal.Compare(a, b);
    });

    public async Task<DirectoryFacts> CollectAsync(DirectoryCollectorOptions options, CancellationToken cancellationToken = default)
        => (await CollectDetailedAsync(options, cancellationToken).ConfigureAwait(false)).Facts;

    /// <summary>As <see cref="CollectAsync"/>, plus how many result pages each search took (for tests and measurements).</summary>
    internal static async Task<DirectoryCollectionResult> CollectDetailedAsync(DirectoryCollectorOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var source = options.SafeSource;
        var session = new CollectionSession(options);
        try
        {
            var problem = await session.RunAsync(cancellationToken).ConfigureAwait(false);
            if (problem is null)
            {
                return session.Result(source, watch.Elapsed.TotalMilliseconds);
            }
            return Failed(options, source, problem, watch.Elapsed.TotalMilliseconds, session.ComputerPages, session.GroupPages);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var problem = new LdapProblem($"{session.Phase} failed unexpectedly ({e.GetType().Name}: {e.Message.TrimEnd('.')})", null);
            return Failed(options, source, problem, watch.Elapsed.TotalMilliseconds, session.ComputerPages, session.GroupPages);
        }
        finally
        {
            session.Dispose();
        }
    }

    private static DirectoryCollectionResult Failed(DirectoryCollectorOptions options, string source, LdapProblem problem, double durationMs, int computerPages, int groupPages)
    {
        var message = Scrub($"Directory collection from {source} failed: {problem.Cause}.", options.Password);
        var facts = new DirectoryFacts
        {
            Source = source,
            BaseDn = options.BaseDn,
            Domain = options.BaseDn is null ? null : DnsDomainOf(options.BaseDn),
            Collection = new CollectionStatus
            {
                Collector = FactFamilies.Directory,
                Status = CollectionState.Error,
                Message = message,
                ErrorCode = problem.Code,
                DurationMs = Math.Round(durationMs, 1),
            },
        };
        return new DirectoryCollectionResult(facts, computerPages, groupPages);
    }

    /// <summary>Removes the password from a text, whatever produced it (belt and braces: no known path puts it there).</summary>
    internal static string Scrub(string text, string? password)
        => string.IsNullOrEmpty(password) ? text : text.Replace(password, "***", StringComparison.Ordinal);

    /// <summary>lab.test from DC=lab,DC=test (the DC components in order, lower case); null when the DN has none.</summary>
    internal static string? DnsDomainOf(string dn)
    {
        var labels = new List<string>();
        foreach (var part in dn.Split(','))
        {
            var rdn = part.Trim();
            if (rdn.StartsWith("DC=", StringComparison.OrdinalIgnoreCase) && rdn.Length > 3)
            {
                labels.Add(rdn[3..].Trim().ToLowerInvariant());
            }
        }
        return labels.Count == 0 ? null : string.Join('.', labels);
    }

    /// <summary>One collection run: the connection, the phase reached (for messages) and what was read.</summary>
    private sealed class CollectionSession(DirectoryCollectorOptions options) : IDisposable
    {
        private readonly List<ComputerFacts> _computers = [];
        private readonly List<GroupFacts> _groups = [];
        private LdapConnection? _connection;
        private ServerCertificateValidator? _validator;
        private string? _caDirectory;
        private string? _baseDn;
        private string? _domain;
        private LdapEndpoint? _endpoint;

        public string Phase { get; private set; } = "checking the options";
        public int ComputerPages { get; private set; }
        public int GroupPages { get; private set; }

        public async Task<LdapProblem?> RunAsync(CancellationToken cancellationToken)
        {
            var problem = Validate();
            if (problem is not null)
            {
                return problem;
            }
            var endpoint = _endpoint!;
            var tls = endpoint.Ldaps || options.StartTls;
            if (tls && options.CaFile is not null)
            {
                Phase = "reading the CA file";
                try
                {
                    _validator = ServerCertificateValidator.FromPemFile(options.CaFile);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
                {
                    return new LdapProblem($"the CA file '{options.CaFile}' cannot be read as PEM certificates ({e.Message.TrimEnd('.')})", null);
                }
            }
            else
            {
                _validator = ServerCertificateValidator.SystemTrust();
            }

            Phase = tls ? "the TLS handshake" : "connecting";
            problem = await LdapTlsProbe.CheckAsync(endpoint, options.StartTls, _validator, options.Timeout, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }
            return await Task.Run(() => Read(endpoint, tls, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        private LdapProblem? Validate()
        {
            _endpoint = LdapEndpoint.TryParse(options.Server, out var uriProblem);
            if (_endpoint is null)
            {
                return new LdapProblem(uriProblem!, null);
            }
            if (options.StartTls && _endpoint.Ldaps)
            {
                return new LdapProblem("StartTLS applies to ldap:// only (ldaps:// is already encrypted)", null);
            }
            if (options.PageSize is < 1 or > 100_000)
            {
                return new LdapProblem($"the page size {options.PageSize.ToString(CultureInfo.InvariantCulture)} is out of range (1-100000)", null);
            }
            if (options.Timeout <= TimeSpan.Zero)
            {
                return new LdapProblem("the timeout must be positive", null);
            }
            if (options.User is not null && string.IsNullOrEmpty(options.Password))
            {
                return new LdapProblem($"a user ('{options.User}') is given without a password", null);
            }
            return null;
        }

        private LdapProblem? Read(LdapEndpoint endpoint, bool tls, CancellationToken cancellationToken)
        {
            try
            {
                Phase = "opening the LDAP connection";
                _connection = Open(endpoint, tls);

                // Read the rootDSE anonymously first. Besides giving the naming context, this makes the LDAP library
                // connect to OUR server before StartTLS: on Linux (S.DS.Protocols over libldap) StartTransportLayerSecurity
                // on a fresh handle otherwise connects to libldap's default host (localhost:389), not the configured one.
                Phase = "reading the rootDSE";
                var rootDse = (SearchResponse)_connection.SendRequest(
                    new SearchRequest(string.Empty, "(objectClass=*)", SearchScope.Base, "defaultNamingContext", "dnsHostName"), options.Timeout);
                var defaultNamingContext = FirstString(rootDse.Entries.Count > 0 ? rootDse.Entries[0] : null, "defaultNamingContext");

                if (options.StartTls)
                {
                    Phase = "StartTLS";
                    _connection.SessionOptions.StartTransportLayerSecurity(null);
                }

                Phase = options.User is not null ? $"binding as '{options.User}'" : options.UseCurrentIdentity ? "binding as the current identity" : "binding anonymously";
                Bind(_connection);

                _baseDn = options.BaseDn ?? defaultNamingContext;
                if (string.IsNullOrEmpty(_baseDn))
                {
                    return new LdapProblem("the rootDSE gives no defaultNamingContext and no base DN was given", null);
                }
                _domain = DnsDomainOf(_baseDn) ?? (defaultNamingContext is null ? null : DnsDomainOf(defaultNamingContext));

                Phase = $"searching computers under '{_baseDn}'";
                ComputerPages = PagedSearch(_connection, _baseDn, ComputerFilter, ComputerAttributes, entry => _computers.Add(ReadComputer(entry)), cancellationToken, out var problem);
                if (problem is not null)
                {
                    return problem;
                }

                Phase = $"searching groups with delegation under '{_baseDn}'";
                GroupPages = PagedSearch(_connection, _baseDn, DelegatingGroupFilter, GroupAttributes, entry => _groups.Add(ReadGroup(_connection, entry)), cancellationToken, out problem);
                return problem;
            }
            catch (LdapException e)
            {
                return FromLdapException(e);
            }
            catch (DirectoryOperationException e)
            {
                return FromResult(e.Response?.ResultCode, e.Response?.ErrorMessage ?? e.Message);
            }
            catch (DirectoryException e)
            {
                return new LdapProblem($"{Phase} failed ({e.Message.TrimEnd('.')})", null);
            }
            catch (InvalidDataException e)
            {
                return new LdapProblem($"{Phase} failed: {e.Message}", null);
            }
        }

        private LdapConnection Open(LdapEndpoint endpoint, bool tls)
        {
            var identifier = new LdapDirectoryIdentifier(endpoint.Host, endpoint.Port, fullyQualifiedDnsHostName: true, connectionless: false);
            var connection = new LdapConnection(identifier) { AutoBind = false, Timeout = options.Timeout };
            connection.SessionOptions.ProtocolVersion = 3;
            connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
            if (endpoint.Ldaps)
            {
                connection.SessionOptions.SecureSocketLayer = true;
            }
            if (tls && _validator is { UsesPrivateCa: true })
            {
                if (OperatingSystem.IsWindows())
                {
                    var validator = _validator;
                    connection.SessionOptions.VerifyServerCertificate = (_, certificate) => validator.Check(certificate, endpoint.Host) is null;
                }
                else
                {
                    // libldap cannot call back into .NET for the server certificate (setting VerifyServerCertificate
                    // throws on Linux); hand it the CA through a private CA directory and a fresh TLS context instead.
                    // libldap then verifies the chain and the host name itself; LdapTlsProbe has already checked both
                    // in .NET with only this CA trusted.
                    _caDirectory = Path.Combine(Path.GetTempPath(), "audit-ldap-ca-" + Guid.NewGuid().ToString("N"));
                    System.IO.Directory.CreateDirectory(_caDirectory);
                    File.Copy(options.CaFile!, Path.Combine(_caDirectory, "ca.pem"));
                    connection.SessionOptions.TrustedCertificatesDirectory = _caDirectory;
                    connection.SessionOptions.StartNewTlsSessionContext();
                }
            }
            return connection;
        }

        private void Bind(LdapConnection connection)
        {
            if (options.User is not null)
            {
                connection.AuthType = AuthType.Basic;
                connection.Bind(new NetworkCredential(options.User, options.Password));
            }
            else if (options.UseCurrentIdentity)
            {
                connection.AuthType = OperatingSystem.IsWindows() ? AuthType.Negotiate : AuthType.Kerberos;
                connection.Bind();
            }
            else
            {
                connection.AuthType = AuthType.Anonymous;
                connection.Bind();
            }
        }

        private int PagedSearch(LdapConnection connection, string baseDn, string filter, string[] attributes, Action<SearchResultEntry> onEntry, CancellationToken cancellationToken, out LdapProblem? problem)
        {
            problem = null;
            var request = new SearchRequest(baseDn, filter, SearchScope.Subtree, attributes) { SizeLimit = 0, TimeLimit = options.Timeout };
            var paging = new PageResultRequestControl(options.PageSize) { IsCritical = true };
            request.Controls.Add(paging);
            var pages = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var response = (SearchResponse)connection.SendRequest(request, options.Timeout);
                pages++;
                if (response.ResultCode != ResultCode.Success)
                {
                    problem = FromResult(response.ResultCode, response.ErrorMessage);
                    return pages;
                }
                foreach (SearchResultEntry entry in response.Entries)
                {
                    onEntry(entry);
                }
                var cookie = response.Controls.OfType<PageResultResponseControl>().FirstOrDefault()?.Cookie;
                if (cookie is null || cookie.Length == 0)
                {
                    return pages;
                }
                paging.Cookie = cookie;
            }
        }

        private static ComputerFacts ReadComputer(SearchResultEntry entry)
        {
            var attributes = Attributes(entry);
            var sam = FirstString(attributes, "sAMAccountName");
            var uacText = FirstString(attributes, "userAccountControl");
            if (!int.TryParse(uacText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var uac))
            {
                throw new InvalidDataException($"the computer '{entry.DistinguishedName}' has no readable userAccountControl (check the bind account's read rights)");
            }
            var rbcd = FirstBytes(entry, "msDS-AllowedToActOnBehalfOfOtherIdentity");
            var sid = FirstBytes(entry, "objectSid");
            return new ComputerFacts
            {
                SamAccountName = sam ?? string.Empty,
                DnsHostName = FirstString(attributes, "dNSHostName"),
                DistinguishedName = entry.DistinguishedName,
                UserAccountControl = uac,
                Flags = UacFlags.Decode(uac),
                AllowedToDelegateTo = Strings(attributes, "msDS-AllowedToDelegateTo"),
                ServicePrincipalNames = Strings(attributes, "servicePrincipalName"),
                OperatingSystem = FirstString(attributes, "operatingSystem"),
                OperatingSystemVersion = FirstString(attributes, "operatingSystemVersion"),
                HasResourceBasedDelegation = rbcd is not null,
                ResourceBasedDelegationSids = rbcd is null ? [] : RbcdDescriptorReader.TryReadAllowedSids(rbcd) ?? [],
                ObjectSid = sid is null ? null : SidReader.TryRead(sid),
            };
        }

        private GroupFacts ReadGroup(LdapConnection connection, SearchResultEntry entry)
        {
            var first = Attributes(entry);
            var attributes = first;
            var members = new List<string>(Strings(first, "member"));
            // A large group's member attribute comes in ranges (member;range=0-1499): fetch the rest.
            var ranged = attributes.Keys.FirstOrDefault(k => k.StartsWith("member;range=", StringComparison.OrdinalIgnoreCase));
            while (ranged is not null)
            {
                members.AddRange(attributes[ranged]);
                var next = NextRange(ranged);
                if (next is null)
                {
                    break;
                }
                var response = (SearchResponse)connection.SendRequest(
                    new SearchRequest(entry.DistinguishedName, "(objectClass=*)", SearchScope.Base, $"member;range={next.Value.ToString(CultureInfo.InvariantCulture)}-*"), options.Timeout);
                attributes = response.Entries.Count > 0 ? Attributes(response.Entries[0]) : [];
                ranged = attributes.Keys.FirstOrDefault(k => k.StartsWith("member;range=", StringComparison.OrdinalIgnoreCase));
            }
            members.Sort(ValueOrder);
            return new GroupFacts
            {
                SamAccountName = FirstString(first, "sAMAccountName") ?? string.Empty,
                DistinguishedName = entry.DistinguishedName,
                AllowedToDelegateTo = Strings(first, "msDS-AllowedToDelegateTo"),
                Members = [.. members.Distinct(StringComparer.Ordinal)],
            };
        }

        public DirectoryCollectionResult Result(string source, double durationMs)
        {
            _computers.Sort((a, b) =>
            {
                var c = ValueOrder.Compare(a.SamAccountName, b.SamAccountName);
                return c != 0 ? c : ValueOrder.Compare(a.DistinguishedName, b.DistinguishedName);
            });
            _groups.Sort((a, b) =>
            {
                var c = ValueOrder.Compare(a.SamAccountName, b.SamAccountName);
                return c != 0 ? c : ValueOrder.Compare(a.DistinguishedName, b.DistinguishedName);
            });
            var facts = new DirectoryFacts
            {
                Domain = _domain,
                Source = source,
                BaseDn = _baseDn,
                Collection = new CollectionStatus
                {
                    Collector = FactFamilies.Directory,
                    Status = CollectionState.Ok,
                    DurationMs = Math.Round(durationMs, 1),
                },
                Computers = [.. _computers],
                Groups = [.. _groups],
            };
            return new DirectoryCollectionResult(facts, ComputerPages, GroupPages);
        }

        private LdapProblem FromLdapException(LdapException e)
        {
            var server = ServerText(e.ServerErrorMessage);
            return e.ErrorCode switch
            {
                LdapResultCodes.InvalidCredentials => new LdapProblem($"{Phase} was rejected: invalid credentials (LDAP 49){server}", e.ErrorCode),
                LdapResultCodes.ServerDown => new LdapProblem($"{Phase} failed: the server is unavailable or closed the connection (LDAP {e.ErrorCode.ToString(CultureInfo.InvariantCulture)}){server}", e.ErrorCode),
                LdapResultCodes.Timeout => new LdapProblem($"{Phase} timed out after {options.Timeout.TotalSeconds:0.#} s (LDAP 85)", e.ErrorCode),
                LdapResultCodes.ConnectError => new LdapProblem($"{Phase} failed: the connection could not be established, for example because TLS failed (LDAP 91){server}", e.ErrorCode),
                _ => new LdapProblem($"{Phase} failed: {e.Message.TrimEnd('.')} (LDAP {e.ErrorCode.ToString(CultureInfo.InvariantCulture)}){server}", e.ErrorCode),
            };
        }

        private LdapProblem FromResult(ResultCode? code, string? serverMessage)
        {
            var server = ServerText(serverMessage);
            var number = code is null ? (int?)null : (int)code.Value;
            var label = code is null ? "unknown result" : $"{code.Value} (LDAP {((int)code.Value).ToString(CultureInfo.InvariantCulture)})";
            var cause = code switch
            {
                ResultCode.NoSuchObject => $"{Phase} failed: the base DN does not exist, {label}",
                ResultCode.InvalidDNSyntax => $"{Phase} failed: the base DN is not a valid DN, {label}",
                ResultCode.SizeLimitExceeded => $"{Phase} hit the server's size limit before every object was read, {label}",
                ResultCode.TimeLimitExceeded => $"{Phase} hit the time limit of {options.Timeout.TotalSeconds:0.#} s before every object was read, {label}",
                ResultCode.AdminLimitExceeded => $"{Phase} hit an administrative limit of the server, {label}",
                ResultCode.InsufficientAccessRights or ResultCode.OperationsError => $"{Phase} was refused; the bind account may lack read rights, {label}",
                ResultCode.StrongAuthRequired or ResultCode.ConfidentialityRequired => $"{Phase} was refused: the server requires signing or encryption (use ldaps:// or StartTLS), {label}",
                _ => $"{Phase} failed with {label}",
            };
            return new LdapProblem(cause + server, number);
        }

        private static string ServerText(string? serverMessage)
        {
            if (string.IsNullOrWhiteSpace(serverMessage) || serverMessage.Contains("unknown error", StringComparison.OrdinalIgnoreCase))
            {
                return string.Empty;
            }
            var text = serverMessage.Trim().TrimEnd('.').ReplaceLineEndings(" ");
            if (text.Length > 200)
            {
                text = text[..200] + "...";
            }
            return $"; the server said: {text}";
        }

        public void Dispose()
        {
            _connection?.Dispose();
            _validator?.Dispose();
            if (_caDirectory is not null)
            {
                try
                {
                    System.IO.Directory.Delete(_caDirectory, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    internal static int? NextRange(string rangedName)
    {
        // member;range=0-1499 -> 1500; member;range=1500-* -> null (last range).
        var dash = rangedName.LastIndexOf('-');
        if (dash < 0)
        {
            return null;
        }
        var end = rangedName[(dash + 1)..];
        return end == "*" || !int.TryParse(end, NumberStyles.None, CultureInfo.InvariantCulture, out var last) ? null : last + 1;
    }

    private static Dictionary<string, string[]> Attributes(SearchResultEntry entry)
    {
        var result = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (DirectoryAttribute attribute in entry.Attributes.Values)
        {
            if (IsBinary(attribute.Name))
            {
                continue;
            }
            result[attribute.Name] = [.. attribute.GetValues(typeof(string)).Cast<string>()];
        }
        return result;
    }

    private static bool IsBinary(string name)
        => name.Equals("objectSid", StringComparison.OrdinalIgnoreCase) || name.Equals("msDS-AllowedToActOnBehalfOfOtherIdentity", StringComparison.OrdinalIgnoreCase);

    private static string? FirstString(Dictionary<string, string[]> attributes, string name)
        => attributes.TryGetValue(name, out var values) && values.Length > 0 ? values[0] : null;

    private static string? FirstString(SearchResultEntry? entry, string name)
        => entry is null ? null : FirstString(Attributes(entry), name);

    private static List<string> Strings(Dictionary<string, string[]> attributes, string name)
    {
        if (!attributes.TryGetValue(name, out var values))
        {
            return [];
        }
        var list = values.ToList();
        list.Sort(ValueOrder);
        return list;
    }

    private static byte[]? FirstBytes(SearchResultEntry entry, string name)
    {
        foreach (DirectoryAttribute attribute in entry.Attributes.Values)
        {
            if (attribute.Name.Equals(name, StringComparison.OrdinalIgnoreCase) && attribute.Count > 0)
            {
                return (byte[])attribute.GetValues(typeof(byte[]))[0];
            }
        }
        return null;
    }
}

/// <summary>The facts plus how many pages each paged search took.</summary>
internal sealed record DirectoryCollectionResult(DirectoryFacts Facts, int ComputerPages, int GroupPages);
