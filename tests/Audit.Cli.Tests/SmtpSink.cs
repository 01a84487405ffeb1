using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Audit.Cli.Tests;

/// <summary>
/// An SMTP listener of the test's own on a free loopback port: accepts every sender and recipient and keeps each
/// message (envelope and data) in memory. Just enough SMTP for System.Net.Mail and curl; no TLS, no authentication.
/// </summary>
internal sealed class SmtpSink : IDisposable
{
    public sealed record Message(string From, IReadOnlyList<string> To, string Data);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Message> _messages = [];
    private readonly Task _loop;

    public SmtpSink()
    {
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IReadOnlyList<Message> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            // One session at a time: each sender here sends one message and quits.
            using (client)
            {
                try
                {
                    await SessionAsync(client.GetStream());
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                {
                }
            }
        }
    }

    private async Task SessionAsync(NetworkStream stream)
    {
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 sink.test ESMTP");
        string from = "";
        var to = new List<string>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                case "HELO":
                    await writer.WriteLineAsync("250 sink.test");
                    break;
                case "MAIL":
                    from = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "RCPT":
                    to.Add(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync(timeout.Token) is { } d && d != ".")
                    {
                        data.Append(d.StartsWith("..", StringComparison.Ordinal) ? d[1..] : d).Append("\r\n");
                    }
                    lock (_messages)
                    {
                        _messages.Add(new Message(from, [.. to], data.ToString()));
                    }
                    await writer.WriteLineAsync("250 OK queued");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 bye");
                    return;
                default:
                    await writer.WriteLineAsync("250 OK");
                    break;
            }
        }
    }

    /// <summary>The decoded bytes of the base64 attachment named <paramref name="fileName"/> in a MIME message.</summary>
    public static byte[] Attachment(string data, string fileName)
    {
        var at = data.IndexOf($"filename={fileName}", StringComparison.Ordinal);
        if (at < 0)
        {
            at = data.IndexOf($"filename=\"{fileName}\"", StringComparison.Ordinal);
        }
        Assert.True(at >= 0, $"no attachment {fileName} in:\n{data[..Math.Min(data.Length, 2000)]}");
        var body = data.IndexOf("\r\n\r\n", at, StringComparison.Ordinal) + 4;
        var end = data.IndexOf("\r\n--", body, StringComparison.Ordinal);
        return Convert.FromBase64String(string.Concat(data[body..end].Where(c => !char.IsWhiteSpace(c))));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
