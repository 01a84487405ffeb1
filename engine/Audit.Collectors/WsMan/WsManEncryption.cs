using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net.Security;
using System.Text;
using Audit.Collectors.Cim;

namespace Audit.Collectors.WsMan;

/// <summary>
/// WinRM message encryption over plain HTTP with Kerberos (MS-WSMV 2.2.9.1 "Encryption"; the framing pywinrm's
/// winrm/encryption.py and pyspnego's wrap_winrm write, which Windows accepts): the body is
/// <code>
/// --Encrypted Boundary\r\n
/// \tContent-Type: application/HTTP-Kerberos-session-encrypted\r\n
/// \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\r\n
/// --Encrypted Boundary\r\n
/// \tContent-Type: application/octet-stream\r\n
/// [4-byte little-endian signature length][signature][encrypted data]--Encrypted Boundary--\r\n
/// </code>
/// with the HTTP Content-Type <c>multipart/encrypted;protocol="application/HTTP-Kerberos-session-encrypted";boundary="Encrypted Boundary"</c>.
/// <para>
/// The signature and the data are one RFC 4121 wrap token (CFX, TOK_ID 05 04, sealed) in the DCE / IOV layout Windows
/// uses: RRC set so that, after the 16-byte token header, the rotated tail (the encrypted header copy and the checksum)
/// and the confounder come first; the encrypted data, exactly as long as the message, follows. The platform's gss_wrap
/// (through <see cref="NegotiateAuthentication.Wrap"/>) gives the stream layout (RRC 0); rotating its body right by
/// RRC + EC and writing RRC gives the DCE layout. Sources checked for this:
/// MS-KILE 3.4.5.4.1 (learn.microsoft.com, "Kerberos Binding of GSS_WrapEx()": RRC 28 with encryption, "the trailing
/// meta-data H1 is rotated by RRC+EC bytes, which is different from RRC alone"); MIT krb5
/// src/lib/gssapi/krb5/k5sealv3iov.c (github.com/krb5/krb5: with DCE style and no trailer buffer, RRC = 16 + checksum
/// length, EC = the padding length, 0 for AES-CTS, the header buffer 16 + confounder + RRC bytes, i.e. 60 for
/// AES-SHA1); RFC 4121 4.2.5 (a receiver must accept any RRC: the outer header's EC and RRC are not protected, the
/// encrypted copy carries RRC 0). On receipt we undo the rotation ourselves (by RRC + EC, per MS-KILE; the same as RRC
/// when EC is 0) and give the platform a stream-layout token, so its unwrap need not know Windows' rule.
/// </para>
/// <para>
/// Verified only against our own WinRM stand-in (MIT krb5 acceptor, tickets from a Samba AD DC), never against Windows.
/// RC4-HMAC session keys (RFC 4757 tokens) are refused, not guessed at.
/// </para>
/// </summary>
public static class WsManEncryption
{
    public const string KerberosProtocol = "application/HTTP-Kerberos-session-encrypted";
    public const string Boundary = "Encrypted Boundary";
    public const string ContentType = "multipart/encrypted;protocol=\"" + KerberosProtocol + "\";boundary=\"" + Boundary + "\"";

    private static readonly byte[] Dashes = Encoding.ASCII.GetBytes("--" + Boundary);
    private static readonly byte[] OctetStream = Encoding.ASCII.GetBytes("\tContent-Type: application/octet-stream\r\n");
    private const int TokenHeader = 16;
    private const int AesConfounder = 16;

    /// <summary>Seals one SOAP message: the whole multipart body to send.</summary>
    public static byte[] Seal(NegotiateAuthentication context, string envelope)
    {
        ArgumentNullException.ThrowIfNull(context);
        var plain = Encoding.UTF8.GetBytes(envelope);
        var token = new ArrayBufferWriter<byte>(plain.Length + 128);
        var status = context.Wrap(plain, token, requestEncryption: true, out var encrypted);
        if (status != NegotiateAuthenticationStatusCode.Completed || !encrypted)
        {
            throw new CimException(CimErrorCode.Failed, $"cannot seal the message for plain HTTP: Kerberos wrap gave {status}{(encrypted ? "" : ", not encrypted")}")
            {
                Cause = "GSS wrap",
                Fix = "use --https (a WinRM HTTPS listener on the host), or check that the Kerberos session key is AES",
            };
        }
        var (signature, data) = ToDceLayout(token.WrittenSpan, plain.Length);
        var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"--{Boundary}\r\n\tContent-Type: {KerberosProtocol}\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={plain.Length}\r\n--{Boundary}\r\n"));
        var tail = Encoding.ASCII.GetBytes($"--{Boundary}--\r\n");
        var body = new byte[head.Length + OctetStream.Length + 4 + signature.Length + data.Length + tail.Length];
        var at = 0;
        void Put(ReadOnlySpan<byte> b)
        {
            b.CopyTo(body.AsSpan(at));
            at += b.Length;
        }
        Put(head);
        Put(OctetStream);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, signature.Length);
        Put(length);
        Put(signature);
        Put(data);
        Put(tail);
        return body;
    }

    /// <summary>Opens a sealed answer: every part unwrapped, each checked to be encrypted and as long as it says.</summary>
    public static string Unseal(NegotiateAuthentication context, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(context);
        var text = new StringBuilder();
        foreach (var (length, signature, data) in Parts(body))
        {
            var token = FromDceLayout(signature, data);
            var plain = new ArrayBufferWriter<byte>(data.Length + 16);
            var status = context.Unwrap(token, plain, out var wasEncrypted);
            if (status != NegotiateAuthenticationStatusCode.Completed)
            {
                throw Bad($"Kerberos unwrap gave {status} (the answer was altered, replayed or sealed with another key)");
            }
            if (!wasEncrypted)
            {
                throw Bad("a part was signed but not encrypted");
            }
            if (plain.WrittenCount != length)
            {
                throw Bad($"a part holds {plain.WrittenCount} bytes, its header says {length}");
            }
            try
            {
                text.Append(new UTF8Encoding(false, true).GetString(plain.WrittenSpan));
            }
            catch (DecoderFallbackException)
            {
                throw Bad("a part is not UTF-8 once decrypted");
            }
        }
        return text.ToString();
    }

    /// <summary>The parts of a multipart/encrypted body: declared length, signature, encrypted data.</summary>
    public static IReadOnlyList<(int Length, byte[] Signature, byte[] Data)> Parts(ReadOnlySpan<byte> body)
    {
        var parts = new List<(int, byte[], byte[])>();
        var rest = body;
        while (true)
        {
            var start = rest.IndexOf(Dashes);
            if (start < 0)
            {
                break;
            }
            rest = rest[(start + Dashes.Length)..];
            if (rest.StartsWith("--"u8))
            {
                break; // the closing boundary
            }
            // The header part: "\r\n\tContent-Type: ...\r\n\tOriginalContent: type=...;Length=N\r\n"
            var next = rest.IndexOf(Dashes);
            if (next < 0)
            {
                throw Bad("a part without its encrypted data");
            }
            var header = Encoding.ASCII.GetString(rest[..next]);
            if (!header.Contains(KerberosProtocol, StringComparison.OrdinalIgnoreCase))
            {
                throw Bad("a part that is not " + KerberosProtocol);
            }
            var at = header.IndexOf("Length=", StringComparison.OrdinalIgnoreCase);
            var digits = at < 0 ? "" : new string([.. header[(at + 7)..].TakeWhile(char.IsAsciiDigit)]);
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                throw Bad("a part without OriginalContent ...;Length=N");
            }
            rest = rest[(next + Dashes.Length)..];
            var octets = rest.IndexOf("application/octet-stream\r\n"u8);
            if (octets is < 0 or > 64)
            {
                throw Bad("a part without application/octet-stream data");
            }
            rest = rest[(octets + "application/octet-stream\r\n"u8.Length)..];
            if (rest.Length < 4)
            {
                throw Bad("a truncated part");
            }
            var signatureLength = BinaryPrimitives.ReadInt32LittleEndian(rest);
            // The data is as long as the original message (Kerberos AES seals without padding: EC 0 or inside the signature).
            if (signatureLength is < TokenHeader or > 1024 || rest.Length < 4 + signatureLength + length)
            {
                throw Bad($"a part whose signature length {signatureLength} and data length {length} do not fit in it");
            }
            parts.Add((length, rest.Slice(4, signatureLength).ToArray(), rest.Slice(4 + signatureLength, length).ToArray()));
            rest = rest[(4 + signatureLength + length)..];
        }
        return parts.Count > 0 ? parts : throw Bad("no encrypted part");
    }

    /// <summary>
    /// A stream-layout (RRC 0) sealed CFX token to the DCE layout: (signature, encrypted data). The body after the
    /// 16-byte header is rotated right by RRC + EC, RRC = 16 (the encrypted header copy) + the checksum length.
    /// </summary>
    public static (byte[] Signature, byte[] Data) ToDceLayout(ReadOnlySpan<byte> token, int plainLength)
    {
        var (ec, rrc) = CheckCfx(token, expectRrc0: true);
        var checksum = token.Length - TokenHeader - AesConfounder - plainLength - ec - TokenHeader;
        if (checksum is not (12 or 16 or 24))
        {
            throw new CimException(CimErrorCode.Failed, $"cannot seal the message for plain HTTP: an unexpected Kerberos wrap token ({token.Length} bytes for {plainLength}, EC {ec}, RRC {rrc})") { Cause = "GSS wrap", Fix = "use --https" };
        }
        var newRrc = TokenHeader + checksum;
        var body = token[TokenHeader..].ToArray();
        var rotated = RotateRight(body, newRrc + ec);
        var signature = new byte[TokenHeader + newRrc + ec + AesConfounder];
        token[..TokenHeader].CopyTo(signature);
        BinaryPrimitives.WriteUInt16BigEndian(signature.AsSpan(6), (ushort)newRrc);
        rotated.AsSpan(0, signature.Length - TokenHeader).CopyTo(signature.AsSpan(TokenHeader));
        return (signature, rotated[(signature.Length - TokenHeader)..]);
    }

    /// <summary>The DCE-layout signature and data back to one stream-layout token (RRC 0), rotating left by RRC + EC.</summary>
    public static byte[] FromDceLayout(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> data)
    {
        var (ec, rrc) = CheckCfx(signature, expectRrc0: false);
        var body = new byte[signature.Length - TokenHeader + data.Length];
        signature[TokenHeader..].CopyTo(body);
        data.CopyTo(body.AsSpan(signature.Length - TokenHeader));
        var token = new byte[TokenHeader + body.Length];
        signature[..TokenHeader].CopyTo(token);
        BinaryPrimitives.WriteUInt16BigEndian(token.AsSpan(6), 0);
        RotateRight(body, body.Length - ((rrc + ec) % Math.Max(1, body.Length))).CopyTo(token.AsSpan(TokenHeader));
        return token;
    }

    private static (int Ec, int Rrc) CheckCfx(ReadOnlySpan<byte> token, bool expectRrc0)
    {
        if (token.Length < TokenHeader || token[0] != 0x05 || token[1] != 0x04 || token[3] != 0xFF)
        {
            throw Bad("not a Kerberos (RFC 4121) wrap token: only AES session keys are supported for message encryption (an RC4 key gives another token format; use --https, or allow AES for the accounts)");
        }
        if ((token[2] & 0x02) == 0)
        {
            throw Bad("a Kerberos wrap token that is not sealed (confidentiality flag clear)");
        }
        var ec = BinaryPrimitives.ReadUInt16BigEndian(token[4..]);
        var rrc = BinaryPrimitives.ReadUInt16BigEndian(token[6..]);
        if (expectRrc0 && rrc != 0)
        {
            throw Bad($"the platform's Kerberos wrap gave RRC {rrc}, expected 0");
        }
        return (ec, rrc);
    }

    private static byte[] RotateRight(ReadOnlySpan<byte> data, int count)
    {
        var result = new byte[data.Length];
        if (data.Length == 0)
        {
            return result;
        }
        count %= data.Length;
        data[(data.Length - count)..].CopyTo(result);
        data[..(data.Length - count)].CopyTo(result.AsSpan(count));
        return result;
    }

    private static CimException Bad(string why) =>
        new(CimErrorCode.Failed, $"WinRM message encryption: {why}") { Cause = "WsManEncryption", Fix = "use --https (a WinRM HTTPS listener on the host, TCP 5986)" };
}
