using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Audit.Reports.Tests;

/// <summary>
/// A real headless Chromium driven over the W3C WebDriver protocol by Debian's chromedriver, bound to 127.0.0.1 on a
/// free port and stopped on dispose. Just the commands the report tests need: navigate, execute script, find, click,
/// screenshot, browser and performance logs.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    private const string ElementKey = "element-6066-11e4-a52e-4f735466cecf";
    private readonly Process _driver;
    private readonly HttpClient _http;
    private readonly string _session;
    private readonly string _profile;

    public HeadlessChromium()
    {
        Assert.True(File.Exists("/usr/bin/chromedriver") && File.Exists("/usr/bin/chromium"),
            "chromium and chromium-driver are missing: run ./test.sh, which installs them");
        var port = FreePort();
        _profile = Directory.CreateTempSubdirectory("audit-chromium-").FullName;
        var psi = new ProcessStartInfo("/usr/bin/chromedriver") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add($"--port={port}");
        psi.ArgumentList.Add("--allowed-ips=127.0.0.1");
        _driver = Process.Start(psi)!;
        _driver.OutputDataReceived += (_, _) => { };
        _driver.ErrorDataReceived += (_, _) => { };
        _driver.BeginOutputReadLine();
        _driver.BeginErrorReadLine();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(120) };
        try
        {
            WaitReady();
        }
        catch
        {
            _driver.Kill(entireProcessTree: true);
            throw;
        }
        var caps = new JsonObject
        {
            ["capabilities"] = new JsonObject
            {
                ["alwaysMatch"] = new JsonObject
                {
                    ["browserName"] = "chrome",
                    ["goog:chromeOptions"] = new JsonObject
                    {
                        ["binary"] = "/usr/bin/chromium",
                        ["args"] = new JsonArray("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                            "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-component-update", "--homepage=about:blank", "--window-size=1400,1800", $"--user-data-dir={_profile}"),
                    },
                    ["goog:loggingPrefs"] = new JsonObject { ["browser"] = "ALL", ["performance"] = "ALL" },
                },
            },
        };
        try
        {
            var created = Send(HttpMethod.Post, "session", caps)!;
            _session = created["sessionId"]!.GetValue<string>();
            // Debian's chromium opens a start page of its own; settle on about:blank before any test looks at the network log.
            Navigate("about:blank");
        }
        catch
        {
            _driver.Kill(entireProcessTree: true);
            throw;
        }
    }

    public void Navigate(string url) => Send(HttpMethod.Post, $"session/{_session}/url", new JsonObject { ["url"] = url });

    public JsonNode? Execute(string script, params JsonNode?[] args) =>
        Send(HttpMethod.Post, $"session/{_session}/execute/sync", new JsonObject { ["script"] = script, ["args"] = new JsonArray(args) });

    public T Execute<T>(string script) => Execute(script)!.GetValue<T>();

    public void Click(string css)
    {
        var found = Send(HttpMethod.Post, $"session/{_session}/element", new JsonObject { ["using"] = "css selector", ["value"] = css });
        var id = found?[ElementKey]?.GetValue<string>() ?? throw new InvalidOperationException($"no element {css}: {found?.ToJsonString()}");
        Send(HttpMethod.Post, $"session/{_session}/element/{id}/click", new JsonObject());
    }

    public void WaitFor(string script, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (Execute(script) is not JsonValue v || !v.GetValue<bool>())
        {
            Assert.True(DateTime.UtcNow < until, "timed out waiting for: " + script);
            Thread.Sleep(50);
        }
    }

    public byte[] Screenshot() => Convert.FromBase64String(Send(HttpMethod.Get, $"session/{_session}/screenshot", null)!.GetValue<string>());

    /// <summary>Log entries of a type ("browser": console, CSP violations; "performance": DevTools network events).</summary>
    public IReadOnlyList<string> Log(string type)
    {
        var entries = Send(HttpMethod.Post, $"session/{_session}/se/log", new JsonObject { ["type"] = type })!.AsArray();
        return entries.Select(e => e!["message"]!.GetValue<string>()).ToList();
    }

    private JsonNode? Send(HttpMethod method, string path, JsonNode? body)
    {
        using var req = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            // chromedriver does not accept chunked bodies: send a sized string.
            req.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        }
        using var resp = _http.Send(req);
        var text = resp.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        var json = JsonNode.Parse(text)!;
        if (resp.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"WebDriver {method} {path}: {(int)resp.StatusCode} {text}");
        }
        return json["value"];
    }

    private void WaitReady()
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var resp = _http.GetAsync("status").GetAwaiter().GetResult();
                if (resp.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            Assert.False(_driver.HasExited, "chromedriver exited at start");
            Assert.True(DateTime.UtcNow < until, "chromedriver did not become ready in 30 s");
            Thread.Sleep(100);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            Send(HttpMethod.Delete, $"session/{_session}", null);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or JsonException)
        {
        }
        try
        {
            _driver.Kill(entireProcessTree: true);
            _driver.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        _driver.Dispose();
        _http.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
