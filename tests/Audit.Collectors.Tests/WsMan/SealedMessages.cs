using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net.Security;
using System.Text;

namespace Audit.Collectors.Tests.WsMan;

/// <summary>
/// The stand-in's side of WinRM message encryption over HTTP (MS-WSMV 2.2.9.1), written apart from the client's
/// <see cref="Collectors.WsMan.WsManEncryption"/> so the two check each other rather than agree by construction:
/// requests are unwrapped by handing the platform's gss_unwrap the signature and data joined, as they came (MIT krb5
/// honours any RRC, RFC 4121 4.2.5), so a token the client rotated wrongly fails here; answers are sealed the way
/// Windows lays them out (RRC 28 for AES-SHA1: encrypted header copy and checksum first, then the confounder).
/// </summary>
internal static class SealedMessages
{
    private const string Boundary = "--Encrypted Boundary";

    public static string Unseal(NegotiateAuthentication context, byte[] body)
    {
        var latin = Encoding.Latin1.GetString(body); // one char per byte: offsets in the string are offsets in the body
        var first = latin.IndexOf(Boundary + "\r\n", StringComparison.Ordinal);
        var lengthAt = latin.IndexOf("Length=", first, StringComparison.Ordinal);
        var lineEnd = latin.IndexOf("\r\n", lengthAt, StringComparison.Ordinal);
        var length = int.Parse(latin[(lengthAt + 7)..lineEnd], NumberStyles.None, CultureInfo.InvariantCulture);
        const string octets = "\tContent-Type: application/octet-stream\r\n";
        var data = latin.IndexOf(octets, lineEnd, StringComparison.Ordinal) + octets.Length;
        var signatureLength = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(data));
        var token = body.AsSpan(data + 4, signatureLength + length);
        if (!latin.AsSpan(data + 4 + signatureLength + length).StartsWith(Boundary + "--\r\n", StringComparison.Ordinal))
        {
            throw new InvalidDataException("the sealed request does not end where its lengths say");
        }
        var plain = new ArrayBufferWriter<byte>();
        var status = context.Unwrap(token, plain, out var wasEncrypted);
        if (status != NegotiateAuthenticationStatusCode.Completed || !wasEncrypted || plain.WrittenCount != length)
        {
            throw new InvalidDataException($"the sealed request does not unwrap: {status}, encrypted {wasEncrypted}, {plain.WrittenCount} of {length} bytes");
        }
        return Encoding.UTF8.GetString(plain.WrittenSpan);
    }

    public static byte[] Seal(NegotiateAuthentication context, string text)
    {
        var plain = Encoding.UTF8.GetBytes(text);
        var wrapped = new ArrayBufferWriter<byte>();
        if (context.Wrap(plain, wrapped, true, out var encrypted) != NegotiateAuthenticationStatusCode.Completed || !encrypted)
        {
            throw new InvalidOperationException("the stand-in cannot seal");
        }
        var token = wrapped.WrittenSpan.ToArray();
        var ec = BinaryPrimitives.ReadUInt16BigEndian(token.AsSpan(4));
        var checksum = token.Length - 16 - 16 - plain.Length - ec - 16;
        var rrc = 16 + checksum;
        // Rotate the body right by RRC + EC and record RRC in the header.
        var bodyLength = token.Length - 16;
        var shift = rrc + ec;
        var dce = new byte[token.Length];
        token.AsSpan(0, 16).CopyTo(dce);
        BinaryPrimitives.WriteUInt16BigEndian(dce.AsSpan(6), (ushort)rrc);
        token.AsSpan(16 + bodyLength - shift, shift).CopyTo(dce.AsSpan(16));
        token.AsSpan(16, bodyLength - shift).CopyTo(dce.AsSpan(16 + shift));
        var signatureLength = dce.Length - plain.Length;
        using var body = new MemoryStream();
        var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{Boundary}\r\n\tContent-Type: application/HTTP-Kerberos-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={plain.Length}\r\n{Boundary}\r\n\tContent-Type: application/octet-stream\r\n"));
        body.Write(head);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, signatureLength);
        body.Write(length);
        body.Write(dce);
        body.Write(Encoding.ASCII.GetBytes(Boundary + "--\r\n"));
        return body.ToArray();
    }
}
