using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Text;
using Audit.Collectors.Cim;

namespace Audit.Collectors.WsMan;

/// <summary>
/// The Authorization header of each request: Basic (HTTPS only, checked by the factory), or Kerberos through SPNEGO
/// (<see cref="NegotiateAuthentication"/>: the platform's GSSAPI on Linux, SSPI on Windows) for the service principal
/// HTTP/host, with the current identity (a Kerberos ticket cache) or --user's password. Each request carries its own
/// Kerberos AP-REQ (one leg: no state on the connection), and the host's answer token is checked when it sends one
/// (mutual authentication). A failure on our side (no ticket, wrong password, unknown principal) is
/// <see cref="CimErrorCode.AuthenticationFailed"/> with the cause and its fix, never "unreachable".
/// </summary>
public abstract class WsManAuthenticator
{
    /// <summary>The fix for an HTTP 401 with this kind of authentication.</summary>
    public abstract string RefusedFix { get; }

    /// <summary>Starts one request's authentication; throws <see cref="CimException"/> when no token can be made.</summary>
    public abstract Attempt Start(string what);

    public static WsManAuthenticator Basic(string user, string password) => new BasicAuthenticator(user, password);

    /// <summary>Kerberos through SPNEGO for HTTP/<paramref name="host"/>; <paramref name="seal"/> (plain HTTP): confidentiality too, each message then sealed with the context.</summary>
    public static WsManAuthenticator Negotiate(string host, string? user, string? password, bool seal = false) => new NegotiateAuthenticator(host, user, password, seal);

    /// <summary>One request's authentication: its header, then the check of the host's answer.</summary>
    public abstract class Attempt : IDisposable
    {
        public abstract AuthenticationHeaderValue Header { get; }

        public virtual void Verify(HttpResponseMessage response, string what)
        {
        }

        /// <summary>
        /// After <see cref="Verify"/>: the established Kerberos context, now the caller's to keep and dispose (to seal
        /// the messages that follow on the same connection); throws when there is none or it cannot encrypt.
        /// </summary>
        public virtual NegotiateAuthentication TakeSealingContext(string what) =>
            throw new CimException(CimErrorCode.AuthenticationFailed, $"{what}: this authentication cannot seal messages") { Cause = "no Kerberos context" };

        public virtual void Dispose() => GC.SuppressFinalize(this);
    }

    private sealed class BasicAuthenticator(string user, string password) : WsManAuthenticator
    {
        private readonly AuthenticationHeaderValue _header = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

        public override string RefusedFix => "check --user and its password; WinRM takes Basic only for local accounts, and only when enabled on the host: winrm set winrm/config/service/auth @{Basic=\"true\"}";

        public override Attempt Start(string what) => new Fixed(_header);

        private sealed class Fixed(AuthenticationHeaderValue header) : Attempt
        {
            public override AuthenticationHeaderValue Header => header;
        }
    }

    private sealed class NegotiateAuthenticator(string host, string? user, string? password, bool seal) : WsManAuthenticator
    {
        public string TargetName { get; } = "HTTP/" + host;

        public override string RefusedFix => $"the host did not accept the Kerberos ticket for {TargetName}: check that 'setspn -Q {TargetName}' names the host's computer account (not a service account), that the account is allowed on the host (Administrators or Remote Management Users), and that clocks agree";

        public override Attempt Start(string what)
        {
            NetworkCredential credential;
            if (user is null)
            {
                credential = CredentialCache.DefaultNetworkCredentials;
            }
            else
            {
                var at = user.IndexOf('@', StringComparison.Ordinal);
                var slash = user.IndexOf('\\', StringComparison.Ordinal);
                credential = slash > 0 ? new NetworkCredential(user[(slash + 1)..], password, user[..slash])
                    : at > 0 ? new NetworkCredential(user[..at], password, user[(at + 1)..])
                    : new NetworkCredential(user, password);
            }
            var negotiation = new NegotiateAuthentication(new NegotiateAuthenticationClientOptions
            {
                Package = "Negotiate",
                TargetName = TargetName,
                Credential = credential,
                // Over HTTPS the channel already protects the messages; what we ask Kerberos for is who we are and who
                // they are. Over plain HTTP the context must also encrypt: each message is sealed with it.
                RequiredProtectionLevel = seal ? ProtectionLevel.EncryptAndSign : ProtectionLevel.None,
                RequireMutualAuthentication = true,
            });
            var token = negotiation.GetOutgoingBlob(ReadOnlySpan<byte>.Empty, out var status);
            if (token is null || status is not (NegotiateAuthenticationStatusCode.ContinueNeeded or NegotiateAuthenticationStatusCode.Completed))
            {
                negotiation.Dispose();
                throw Failure(what, status);
            }
            return new Leg(negotiation, new AuthenticationHeaderValue("Negotiate", Convert.ToBase64String(token)), this);
        }

        internal CimException Failure(string what, NegotiateAuthenticationStatusCode status)
        {
            var (why, fix) = status switch
            {
                NegotiateAuthenticationStatusCode.UnknownCredentials when user is null =>
                    ("no Kerberos ticket for the current identity", "run kinit (Linux) or log on with a domain account, or give --user and --password-env"),
                NegotiateAuthenticationStatusCode.UnknownCredentials or NegotiateAuthenticationStatusCode.InvalidCredentials =>
                    ("the KDC refused the user name or password", "check --user (user@REALM or DOMAIN\\user) and its password, and that the account is not locked or expired"),
                NegotiateAuthenticationStatusCode.CredentialsExpired =>
                    ("the Kerberos ticket or password has expired", "renew the ticket (kinit) or change the password"),
                NegotiateAuthenticationStatusCode.TargetUnknown =>
                    ($"the KDC knows no service principal {TargetName}", $"register it to the host's computer account (setspn -S {TargetName} HOST), and name the host as its SPN does (its DNS name, not an IP address)"),
                _ => ("Kerberos failed", $"renew an expired ticket (kinit; klist shows its end), check that the KDC knows {TargetName} (setspn -Q {TargetName}; name the host by the DNS name its SPN uses, not an IP address), this machine's krb5.conf (realm and KDC), and that clocks agree within 5 minutes"),
            };
            return new CimException(CimErrorCode.AuthenticationFailed, $"{what}: {why} ({status}, service principal {TargetName})") { Cause = status.ToString(), Fix = fix };
        }

        private sealed class Leg(NegotiateAuthentication negotiation, AuthenticationHeaderValue header, NegotiateAuthenticator owner) : Attempt
        {
            private bool _taken;

            public override AuthenticationHeaderValue Header => header;

            public override NegotiateAuthentication TakeSealingContext(string what)
            {
                if (!negotiation.IsAuthenticated)
                {
                    throw new CimException(CimErrorCode.AuthenticationFailed, $"{what}: the host did not complete Kerberos mutual authentication (no answer token), so messages cannot be sealed over plain HTTP")
                    {
                        Cause = "mutual authentication",
                        Fix = $"check that the host is WinRM with Kerberos enabled (winrm get winrm/config/service/auth), or use --https",
                    };
                }
                if (!negotiation.IsEncrypted)
                {
                    throw new CimException(CimErrorCode.AuthenticationFailed, $"{what}: the Kerberos context with {owner.TargetName} does not offer encryption, so messages cannot be sealed over plain HTTP")
                    {
                        Cause = "no confidentiality",
                        Fix = "use --https (a WinRM HTTPS listener on the host, TCP 5986)",
                    };
                }
                _taken = true;
                return negotiation;
            }

            /// <summary>Mutual authentication: the host's token, when it sends one, must complete the context.</summary>
            public override void Verify(HttpResponseMessage response, string what)
            {
                var answer = response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Negotiate", StringComparison.OrdinalIgnoreCase))?.Parameter;
                if (answer is null || negotiation.IsAuthenticated)
                {
                    return;
                }
                byte[] blob;
                try
                {
                    blob = Convert.FromBase64String(answer);
                }
                catch (FormatException)
                {
                    throw new CimException(CimErrorCode.AuthenticationFailed, $"{what}: the host's Negotiate answer is not base64") { Cause = "mutual authentication" };
                }
                negotiation.GetOutgoingBlob(blob, out var status);
                if (status != NegotiateAuthenticationStatusCode.Completed)
                {
                    throw owner.Failure(what, status);
                }
            }

            public override void Dispose()
            {
                if (!_taken)
                {
                    negotiation.Dispose();
                }
                base.Dispose();
            }
        }
    }
}
