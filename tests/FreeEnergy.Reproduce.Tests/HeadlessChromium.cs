using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FreeEnergy.Reproduce.Tests;

/// <summary>
/// Debian's chromium, headless, driven over the DevTools protocol (a WebSocket; .NET's <see cref="ClientWebSocket"/>
/// is all it takes, so the tests need neither Node nor a browser-automation package): navigate, evaluate script,
/// collect console errors and uncaught exceptions, capture a screenshot.
/// </summary>
internal sealed class HeadlessChromium : IDisposable
{
    /// <summary>What to run when chromium is missing (the CI script's apt block installs it).</summary>
    public const string InstallCommand = "apt-get update && apt-get install -y --no-install-recommends chromium";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly Process process;
    private readonly string profile;
    private readonly ClientWebSocket socket = new();
    private readonly Dictionary<int, TaskCompletionSource<JsonElement>> pending = [];
    private readonly Lock gate = new();
    private readonly Task receiver;
    private readonly CancellationTokenSource stop = new();
    private TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int nextId;

    private HeadlessChromium(string executable)
    {
        profile = Path.Combine(Path.GetTempPath(), $"freeenergy-chromium-{Guid.NewGuid():N}");
        Directory.CreateDirectory(profile);
        var start = new ProcessStartInfo(executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank",
        })
        {
            start.ArgumentList.Add(argument);
        }

        process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start");
        var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                endpoint.TrySetException(new InvalidOperationException($"chromium exited before it listened:\n{log}"));
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            const string Prefix = "DevTools listening on ";
            if (e.Data.StartsWith(Prefix, StringComparison.Ordinal))
            {
                endpoint.TrySetResult(e.Data[Prefix.Length..].Trim());
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        if (!endpoint.Task.Wait(Timeout))
        {
            throw new TimeoutException($"chromium did not open its DevTools port in {Timeout.TotalSeconds} s:\n{log}");
        }

        // The browser's endpoint is ws://127.0.0.1:PORT/devtools/browser/ID; the page's is listed at /json/list.
        var browser = new Uri(endpoint.Task.Result);
        using var http = new HttpClient { Timeout = Timeout };
        var targets = JsonNode.Parse(http.GetStringAsync(new Uri($"http://{browser.Authority}/json/list")).Result)!.AsArray();
        string page = targets.First(t => (string?)t!["type"] == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
        socket.ConnectAsync(new Uri(page), CancellationToken.None).Wait(Timeout);
        receiver = Task.Run(Receive);
        Send("Page.enable");
        Send("Runtime.enable");
        Send("Log.enable");
    }

    /// <summary>Console messages of type error, uncaught exceptions and browser log entries of level error, in order.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Starts chromium, or fails with the reason and the install command when it is not installed.</summary>
    public static HeadlessChromium Start()
    {
        string? executable = Find();
        Assert.True(executable is not null,
            $"chromium is not installed (looked for chromium, chromium-browser, google-chrome on PATH and CHROMIUM_PATH): the report test renders report.html in a real browser. Install it with: {InstallCommand}");
        return new HeadlessChromium(executable!);
    }

    /// <summary>Opens <paramref name="url"/> and waits for its load event.</summary>
    public void Navigate(string url)
    {
        loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Send("Page.navigate", new JsonObject { ["url"] = url });
        Assert.True(loaded.Task.Wait(Timeout), $"{url} did not finish loading in {Timeout.TotalSeconds} s");
    }

    /// <summary>The value of a script expression (by value: JSON).</summary>
    public JsonElement Evaluate(string expression)
    {
        var result = Send("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"the page threw on '{expression}': {exception}");
        }

        return result.GetProperty("result").GetProperty("value").Clone();
    }

    /// <summary>A PNG of the whole page at <paramref name="width"/> CSS pixels wide.</summary>
    public byte[] Screenshot(int width)
    {
        int height = Evaluate("Math.ceil(document.documentElement.scrollHeight)").GetInt32();
        Send("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false });
        var shot = Send("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
    }

    public void Dispose()
    {
        stop.Cancel();
        try
        {
            socket.Abort();
            socket.Dispose();
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(10_000);
        }
        finally
        {
            process.Dispose();
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path && File.Exists(path))
        {
            return path;
        }

        string[] folders = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(name => folders.Select(folder => Path.Combine(folder, name)))
            .FirstOrDefault(File.Exists);
    }

    private JsonElement Send(string method, JsonObject? parameters = null)
    {
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        int id;
        lock (gate)
        {
            id = ++nextId;
            pending[id] = reply;
        }

        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).Wait(Timeout);
        Assert.True(reply.Task.Wait(Timeout), $"chromium did not answer {method} in {Timeout.TotalSeconds} s");
        return reply.Task.Result;
    }

    private async Task Receive()
    {
        var buffer = new byte[1 << 20];
        using var message = new MemoryStream();
        while (!stop.IsCancellationRequested && socket.State == WebSocketState.Open)
        {
            WebSocketReceiveResult part;
            try
            {
                part = await socket.ReceiveAsync(buffer, stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
                return;
            }

            message.Write(buffer, 0, part.Count);
            if (!part.EndOfMessage)
            {
                continue;
            }

            using (var document = JsonDocument.Parse(message.ToArray()))
            {
                Dispatch(document.RootElement);
            }

            message.SetLength(0);
        }
    }

    private void Dispatch(JsonElement root)
    {
        if (root.TryGetProperty("id", out var id))
        {
            TaskCompletionSource<JsonElement>? reply;
            lock (gate)
            {
                pending.Remove(id.GetInt32(), out reply);
            }

            if (root.TryGetProperty("error", out var error))
            {
                reply?.TrySetException(new InvalidOperationException($"DevTools error: {error}"));
            }
            else
            {
                reply?.TrySetResult(root.GetProperty("result").Clone());
            }

            return;
        }

        string method = root.GetProperty("method").GetString() ?? string.Empty;
        var parameters = root.TryGetProperty("params", out var p) ? p : default;
        switch (method)
        {
            case "Page.loadEventFired":
                loaded.TrySetResult();
                break;
            case "Runtime.consoleAPICalled" when parameters.GetProperty("type").GetString() is "error" or "assert":
                lock (gate)
                {
                    Errors.Add($"console.{parameters.GetProperty("type").GetString()}: {parameters.GetProperty("args")}");
                }

                break;
            case "Runtime.exceptionThrown":
                lock (gate)
                {
                    Errors.Add($"exception: {parameters.GetProperty("exceptionDetails")}");
                }

                break;
            case "Log.entryAdded" when parameters.GetProperty("entry").GetProperty("level").GetString() == "error":
                lock (gate)
                {
                    Errors.Add($"log: {parameters.GetProperty("entry")}");
                }

                break;
        }
    }
}
