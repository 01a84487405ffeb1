using System.Buffers.Binary;
using System.Text;
using Audit.Collectors.Cim;
using Audit.Collectors.WsMan;

namespace Audit.Collectors.Tests.WsMan;

/// <summary>The DCE layout of sealed Kerberos tokens and the multipart framing, on made-up tokens (the real ones: WsManKerberosTests).</summary>
public sealed class WsManEncryptionTests
{
    /// <summary>A stream-layout sealed CFX token as MIT's gss_wrap gives it: header (RRC 0), confounder, data, header copy, 12-byte checksum.</summary>
    private static byte[] StreamToken(int plainLength, int ec = 0)
    {
        var token = new byte[16 + 16 + plainLength + ec + 16 + 12];
        for (var i = 16; i < token.Length; i++)
        {
            token[i] = (byte)(i * 7);
        }
        token[0] = 0x05;
        token[1] = 0x04;
        token[2] = 0x02 | 0x04; // sealed, acceptor subkey
        token[3] = 0xFF;
        BinaryPrimitives.WriteUInt16BigEndian(token.AsSpan(4), (ushort)ec);
        BinaryPrimitives.WriteUInt64BigEndian(token.AsSpan(8), 42);
        return token;
    }

    [Fact]
    public void A_stream_token_becomes_a_60_byte_signature_with_RRC_28_and_data_as_long_as_the_message()
    {
        var token = StreamToken(100);
        var (signature, data) = WsManEncryption.ToDceLayout(token, 100);
        Assert.Equal(60, signature.Length);
        Assert.Equal(100, data.Length);
        Assert.Equal(28, BinaryPrimitives.ReadUInt16BigEndian(signature.AsSpan(6)));
        // After the header: the last 28 bytes of the stream body (encrypted header copy + checksum), then the confounder.
        Assert.Equal(token.AsSpan(token.Length - 28).ToArray(), signature.AsSpan(16, 28).ToArray());
        Assert.Equal(token.AsSpan(16, 16).ToArray(), signature.AsSpan(44, 16).ToArray());
        Assert.Equal(token.AsSpan(32, 100).ToArray(), data);
        Assert.Equal(token, WsManEncryption.FromDceLayout(signature, data));
    }

    /// <summary>MS-KILE 3.4.5.4.1: a Windows token with EC padding is rotated by RRC + EC; undone the same way.</summary>
    [Fact]
    public void A_token_with_EC_is_rotated_by_RRC_plus_EC_both_ways()
    {
        var token = StreamToken(50, ec: 16);
        var (signature, data) = WsManEncryption.ToDceLayout(token, 50);
        Assert.Equal(16 + 28 + 16 + 16, signature.Length);
        Assert.Equal(50, data.Length);
        Assert.Equal(token, WsManEncryption.FromDceLayout(signature, data));
    }

    [Fact]
    public void An_RC4_or_unsealed_token_is_refused_not_guessed_at()
    {
        var rc4 = new byte[80];
        rc4[0] = 0x60; // RFC 1964 / 4757 framing
        var e = Assert.Throws<CimException>(() => WsManEncryption.ToDceLayout(rc4, 10));
        Assert.Contains("only AES session keys", e.Message, StringComparison.Ordinal);
        var signedOnly = StreamToken(10);
        signedOnly[2] = 0x00;
        Assert.Contains("not sealed", Assert.Throws<CimException>(() => WsManEncryption.ToDceLayout(signedOnly, 10)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_multipart_body_is_read_back_part_by_part_and_a_truncated_one_is_refused()
    {
        var (signature, data) = WsManEncryption.ToDceLayout(StreamToken(20), 20);
        var head = Encoding.ASCII.GetBytes("--Encrypted Boundary\r\n\tContent-Type: application/HTTP-Kerberos-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=20\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n");
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, signature.Length);
        byte[] body = [.. head, .. length, .. signature, .. data, .. Encoding.ASCII.GetBytes("--Encrypted Boundary--\r\n")];
        var part = Assert.Single(WsManEncryption.Parts(body));
        Assert.Equal(20, part.Length);
        Assert.Equal(signature, part.Signature);
        Assert.Equal(data, part.Data);
        Assert.Throws<CimException>(() => WsManEncryption.Parts(body.AsSpan(0, head.Length + 30)));
        Assert.Throws<CimException>(() => WsManEncryption.Parts("<s:Envelope/>"u8));
    }
}
