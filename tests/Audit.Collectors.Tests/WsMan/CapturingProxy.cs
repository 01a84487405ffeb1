using System.Net;
using System.Net.Sockets;

namespace Audit.Collectors.Tests.WsMan;

/// <summary>
/// A TCP proxy the test starts on 127.0.0.1 (port 0) in front of the stand-in: it forwards every connection and keeps
/// every byte in both directions, raw, as a network capture between the collector and the host would see them.
/// </summary>
public sealed class CapturingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly MemoryStream _toHost = new();
    private readonly MemoryStream _fromHost = new();
    private readonly List<Task> _pumps = [];
    private Task? _accepting;

    public CapturingProxy(int targetPort)
    {
        _target = targetPort;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections { get; private set; }

    public void Start()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Every byte the collector sent, then every byte the host sent (each direction in order).</summary>
    public (byte[] ToHost, byte[] FromHost) Captured()
    {
        lock (_gate)
        {
            return (_toHost.ToArray(), _fromHost.ToArray());
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
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, _target);
            lock (_gate)
            {
                Connections++;
                _pumps.Add(Pump(client, server, _toHost));
                _pumps.Add(Pump(server, client, _fromHost));
            }
        }
    }

    private async Task Pump(TcpClient from, TcpClient to, MemoryStream capture)
    {
        var buffer = new byte[16384];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            int n;
            while ((n = await input.ReadAsync(buffer, _stop.Token)) > 0)
            {
                lock (_gate)
                {
                    capture.Write(buffer, 0, n);
                }
                await output.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            from.Close();
            to.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        if (_accepting is not null)
        {
            await _accepting;
        }
        Task[] pumps;
        lock (_gate)
        {
            pumps = [.. _pumps];
        }
        await Task.WhenAll(pumps);
        _stop.Dispose();
        _toHost.Dispose();
        _fromHost.Dispose();
    }
}
