using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Audit.Collectors.Directory;
using Audit.Core;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Tests.Directory;

/// <summary>The parts of the directory collector that need no server: parsers, options, password, certificate checks.</summary>
public sealed class DirectoryUnitTests
{
    private static byte[] Sid(byte authority, params uint[] subs)
    {
        var b = new byte[8 + (4 * subs.Length)];
        b[0] = 1;
        b[1] = (byte)subs.Length;
        b[7] = authority;
        for (var i = 0; i < subs.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8 + (4 * i)), subs[i]);
        }
        return b;
    }

    [Fact]
    public void Sid_bytes_become_the_usual_text_form()
    {
        Assert.Equal("S-1-5-21-1-2-3-1104", SidReader.TryRead(Sid(5, 21, 1, 2, 3, 1104)));
        Assert.Equal("S-1-5-32-544", SidReader.TryRead(Sid(5, 32, 544)));
        Assert.Equal("S-1-1-0", SidReader.TryRead(Sid(1, 0)));
        Assert.Equal("S-1-5-21-4294967295", SidReader.TryRead(Sid(5, 21, uint.MaxValue)));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 2, 1, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 2, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 9 })]
    public void Malformed_sid_bytes_are_rejected(byte[] bytes) => Assert.Null(SidReader.TryRead(bytes));

    /// <summary>A self-relative descriptor O:BA D:(A;;...;;sid1)(D;;...;;sid2)(OA;;...;guid;;sid3), built by hand.</summary>
    private static byte[] Descriptor(bool corruptAceSize = false)
    {
        var owner = Sid(5, 32, 544);
        var allowed = Sid(5, 21, 10, 20, 30, 1103);
        var denied = Sid(5, 21, 10, 20, 30, 1200);
        var objectAllowed = Sid(5, 21, 10, 20, 30, 1104);
        var aces = new List<byte[]>
        {
            Ace(0x00, [.. BitConverter.GetBytes(0x000F01FFu), .. allowed]),
            Ace(0x01, [.. BitConverter.GetBytes(0x000F01FFu), .. denied]),
            Ace(0x05, [.. BitConverter.GetBytes(0x100u), .. BitConverter.GetBytes(1u), .. Guid.NewGuid().ToByteArray(), .. objectAllowed]),
        };
        var aclBody = aces.SelectMany(a => a).ToArray();
        var acl = new byte[8 + aclBody.Length];
        acl[0] = 4;
        BinaryPrimitives.WriteUInt16LittleEndian(acl.AsSpan(2), (ushort)acl.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(acl.AsSpan(4), (ushort)aces.Count);
        aclBody.CopyTo(acl, 8);
        if (corruptAceSize)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(acl.AsSpan(8 + 2), 500);
        }
        var sd = new byte[20 + owner.Length + acl.Length];
        sd[0] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(sd.AsSpan(2), 0x8004);
        BinaryPrimitives.WriteUInt32LittleEndian(sd.AsSpan(4), 20);
        BinaryPrimitives.WriteUInt32LittleEndian(sd.AsSpan(16), (uint)(20 + owner.Length));
        owner.CopyTo(sd, 20);
        acl.CopyTo(sd, 20 + owner.Length);
        return sd;

        static byte[] Ace(byte type, byte[] body)
        {
            var ace = new byte[4 + body.Length];
            ace[0] = type;
            BinaryPrimitives.WriteUInt16LittleEndian(ace.AsSpan(2), (ushort)ace.Length);
            body.CopyTo(ace, 4);
            return ace;
        }
    }

    [Fact]
    public void Rbcd_descriptor_lists_the_sids_of_allowed_aces_only_sorted()
    {
        var sids = RbcdDescriptorReader.TryReadAllowedSids(Descriptor());
        Assert.Equal(["S-1-5-21-10-20-30-1103", "S-1-5-21-10-20-30-1104"], sids);
    }

    [Fact]
    public void Unparseable_rbcd_descriptors_give_null_never_an_exception()
    {
        Assert.Null(RbcdDescriptorReader.TryReadAllowedSids(Descriptor(corruptAceSize: true)));
        Assert.Null(RbcdDescriptorReader.TryReadAllowedSids([1, 0, 4, 0x80]));
        var truncated = Descriptor()[..40];
        Assert.Null(RbcdDescriptorReader.TryReadAllowedSids(truncated));
        var random = new byte[200];
        new Random(42).NextBytes(random);
        random[0] = 1;
        _ = RbcdDescriptorReader.TryReadAllowedSids(random);
        var notSelfRelative = Descriptor();
        notSelfRelative[3] = 0;
        Assert.Null(RbcdDescriptorReader.TryReadAllowedSids(notSelfRelative));
    }

    [Fact]
    public void Fuzzed_descriptors_never_throw()
    {
        var good = Descriptor();
        var rng = new Random(7);
        for (var i = 0; i < 5000; i++)
        {
            var bytes = (byte[])good.Clone();
            bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            bytes = bytes[..rng.Next(bytes.Length + 1)];
            _ = RbcdDescriptorReader.TryReadAllowedSids(bytes);
        }
    }

    [Fact]
    public void Options_never_print_the_password()
    {
        var options = new DirectoryCollectorOptions { Server = new Uri("ldaps://admin:UriSecret@dc1.lab.test"), User = "admin@lab.test", Password = "S3cret-Value" };
        var text = options.ToString();
        Assert.DoesNotContain("S3cret-Value", text, StringComparison.Ordinal);
        Assert.DoesNotContain("UriSecret", text, StringComparison.Ordinal);
        Assert.Contains("Password = ***", text, StringComparison.Ordinal);
        Assert.Contains("ldaps://dc1.lab.test:636", text, StringComparison.Ordinal);
        Assert.Equal(500, options.PageSize);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Timeout);
    }

    [Theory]
    [InlineData("ldap://dc1.lab.test", "ldap://dc1.lab.test:389")]
    [InlineData("ldaps://dc1.lab.test", "ldaps://dc1.lab.test:636")]
    [InlineData("LDAPS://user:pw@DC1.lab.test:3269/DC=x?y", "ldaps://dc1.lab.test:3269")]
    [InlineData("ldap://127.0.0.1:1389", "ldap://127.0.0.1:1389")]
    public void The_source_is_the_uri_without_credentials_path_or_query(string uri, string expected)
        => Assert.Equal(expected, LdapEndpoint.SafeSource(new Uri(uri)));

    [Theory]
    [InlineData("DC=lab,DC=test", "lab.test")]
    [InlineData("OU=Hyper-V,OU=Servers,DC=Corp,DC=Example,DC=com", "corp.example.com")]
    [InlineData("CN=Configuration", null)]
    public void The_domain_comes_from_the_dc_components(string dn, string? domain)
        => Assert.Equal(domain, LdapDirectoryCollector.DnsDomainOf(dn));

    [Theory]
    [InlineData("member;range=0-1499", 1500)]
    [InlineData("member;range=1500-2999", 3000)]
    [InlineData("member;range=3000-*", null)]
    public void Ranged_member_names_give_the_next_range(string name, int? next)
        => Assert.Equal(next, LdapDirectoryCollector.NextRange(name));

    [Theory]
    [InlineData("http://dc1.lab.test", false, null, "scheme 'http' is not supported")]
    [InlineData("ldaps://dc1.lab.test", true, null, "StartTLS applies to ldap:// only")]
    [InlineData("ldap://dc1.lab.test", false, "admin@lab.test", "without a password")]
    public async Task Invalid_options_are_an_error_status_not_an_exception(string server, bool startTls, string? user, string expected)
    {
        var facts = await new LdapDirectoryCollector().CollectAsync(new DirectoryCollectorOptions { Server = new Uri(server), StartTls = startTls, User = user });
        Assert.Equal(CollectionState.Error, facts.Collection.Status);
        Assert.Equal("directory", facts.Collection.Collector);
        Assert.Contains(expected, facts.Collection.Message, StringComparison.Ordinal);
        Assert.Empty(facts.Computers);
    }

    [Fact]
    public async Task An_unreadable_ca_file_is_an_error_status()
    {
        var facts = await new LdapDirectoryCollector().CollectAsync(new DirectoryCollectorOptions { Server = new Uri("ldaps://127.0.0.1:1"), CaFile = "/nonexistent/ca.pem" });
        Assert.Equal(CollectionState.Error, facts.Collection.Status);
        Assert.Contains("/nonexistent/ca.pem", facts.Collection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_is_not_a_collection_problem_and_propagates()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new LdapDirectoryCollector().CollectAsync(new DirectoryCollectorOptions { Server = new Uri("ldap://127.0.0.1:1") }, cts.Token));
    }

    [Fact]
    public void The_scrubber_removes_the_password_wherever_it_appears()
        => Assert.Equal("bind *** failed: ***", LdapDirectoryCollector.Scrub("bind pw1 failed: pw1", "pw1"));

    // Password resolution.

    [Fact]
    public void The_password_comes_from_the_named_environment_variable()
        => Assert.Equal("from-env", DirectoryPasswordResolver.Resolve("AUDIT_PW", "admin", new FakeTerminal(false, ""), n => n == "AUDIT_PW" ? "from-env" : null));

    [Fact]
    public void An_unset_environment_variable_is_a_clear_error()
    {
        // The name is not repeated: a password given here by mistake must not be printed.
        var e = Assert.Throws<InputException>(() => DirectoryPasswordResolver.Resolve("S3cret-Pa55!", "admin", new FakeTerminal(true, "typed\r"), _ => null));
        Assert.DoesNotContain("S3cret-Pa55!", e.Message, StringComparison.Ordinal);
        Assert.Contains("--directory-password-env", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_terminal_there_is_no_prompt_but_a_clear_error()
    {
        var terminal = new FakeTerminal(false, "typed\r");
        var e = Assert.Throws<InputException>(() => DirectoryPasswordResolver.Resolve(null, "admin", terminal, _ => null));
        Assert.Contains("not a terminal", e.Message, StringComparison.Ordinal);
        Assert.Empty(terminal.Written);
    }

    [Fact]
    public void The_prompt_reads_without_echo_and_handles_backspace()
    {
        var terminal = new FakeTerminal(true, "pa\bsX\u0001w\r");
        Assert.Equal("psXw", DirectoryPasswordResolver.Resolve(null, "admin@lab.test", terminal, _ => null));
        Assert.Contains("admin@lab.test", terminal.Written, StringComparison.Ordinal);
        Assert.DoesNotContain("ps", terminal.Written, StringComparison.Ordinal);
    }

    private sealed class FakeTerminal(bool interactive, string keys) : IPasswordTerminal
    {
        private int _next;

        public string Written { get; private set; } = "";

        public bool IsInteractive => interactive;

        public void Write(string text) => Written += text;

        public ConsoleKeyInfo ReadKeyNoEcho()
        {
            var c = keys[_next++];
            var key = c switch
            {
                '\r' => ConsoleKey.Enter,
                '\b' => ConsoleKey.Backspace,
                _ => ConsoleKey.A,
            };
            return new ConsoleKeyInfo(c, key, false, false, false);
        }
    }

    // Certificate checks, with certificates made here.

    private static X509Certificate2 MakeCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
    }

    private static X509Certificate2 MakeServer(X509Certificate2 ca, Action<SubjectAlternativeNameBuilder> names)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=server", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        names(san);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);
    }

    [Fact]
    public void A_certificate_from_the_given_ca_naming_the_host_is_accepted()
    {
        using var ca = MakeCa("Lab CA");
        using var server = MakeServer(ca, s => { s.AddDnsName("dc1.lab.test"); s.AddIpAddress(System.Net.IPAddress.Loopback); });
        using var validator = ServerCertificateValidator.FromCertificates([X509CertificateLoader.LoadCertificate(ca.RawData)]);
        Assert.Null(validator.Check(server, "dc1.lab.test"));
        Assert.Null(validator.Check(server, "127.0.0.1"));
    }

    [Fact]
    public void A_certificate_for_another_host_is_rejected_even_from_the_right_ca()
    {
        using var ca = MakeCa("Lab CA");
        using var server = MakeServer(ca, s => s.AddDnsName("other.lab.test"));
        using var validator = ServerCertificateValidator.FromCertificates([X509CertificateLoader.LoadCertificate(ca.RawData)]);
        var problem = validator.Check(server, "dc1.lab.test");
        Assert.NotNull(problem);
        Assert.Contains("does not name the host 'dc1.lab.test'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_from_another_ca_is_rejected()
    {
        using var ca = MakeCa("Lab CA");
        using var other = MakeCa("Other CA");
        using var server = MakeServer(other, s => s.AddDnsName("dc1.lab.test"));
        using var validator = ServerCertificateValidator.FromCertificates([X509CertificateLoader.LoadCertificate(ca.RawData)]);
        var problem = validator.Check(server, "dc1.lab.test");
        Assert.NotNull(problem);
        Assert.Contains("not trusted by the given CA file", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_private_ca_is_not_in_the_system_trust()
    {
        using var ca = MakeCa("Lab CA");
        using var server = MakeServer(ca, s => s.AddDnsName("dc1.lab.test"));
        using var validator = ServerCertificateValidator.SystemTrust();
        Assert.Contains("not trusted by the system trust store", validator.Check(server, "dc1.lab.test"), StringComparison.Ordinal);
    }
}

public class SambaFixtureRedactionTests
{
    [Theory]
    [InlineData("samba-tool domain provision --adminpass=Lab-ABC!a1 --realm=X", "samba-tool domain provision --adminpass=******** --realm=X")]
    [InlineData("samba-tool user setpassword u --newpassword=Secret1 -H x", "samba-tool user setpassword u --newpassword=******** -H x")]
    [InlineData("ldbsearch --password Secret1 -H x", "ldbsearch --password ******** -H x")]
    public void A_failed_fixture_command_never_shows_the_password(string text, string shown) =>
        Assert.Equal(shown, SambaDcFixture.Redact(text));
}
