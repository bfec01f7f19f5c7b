using Microsoft.Playwright;

namespace Outpost.Probe.Capabilities.Screenshot;

/// <summary>
/// Debian's Chromium, driven by Playwright through <c>ExecutablePath</c>: browsers are never downloaded. The flags
/// are the UI tests' (no sandbox for running as a service user in a container or under systemd's hardening, no
/// background traffic of the browser's own: the only requests it makes are the pages a job asks for).
/// </summary>
public static class ChromiumBrowser
{
    /// <summary>Where Debian installs it, the real binary first.</summary>
    public static readonly IReadOnlyList<string> Paths = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

    private static readonly string[] Flags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    /// <summary>The browser to use: <paramref name="configured"/> when given, else the first Debian path present.</summary>
    public static string? Find(string? configured) =>
        configured is not null ? (File.Exists(configured) ? configured : null) : Paths.FirstOrDefault(File.Exists);

    public static Task<IBrowser> LaunchAsync(IPlaywright playwright, string executable)
    {
        ArgumentNullException.ThrowIfNull(playwright);
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true, Args = Flags });
    }
}
