using Microsoft.Playwright;

namespace Outpost.Ui.Tests.Infrastructure;

/// <summary>
/// One daemon, one seeded data set and one headless Chromium for the whole UI suite.
/// The browser is Debian's chromium, driven through ExecutablePath; browsers are never
/// downloaded. Each test opens its own browser context (own cookies, own page).
/// </summary>
public sealed class UiFixture : IAsyncLifetime
{
    private static readonly string[] ChromiumPaths = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _sessionState;
    private string? _viewerState;

    public const string ViewerName = "ui-viewer";
    public const string ViewerPassword = "ui viewer password";

    public Daemon Daemon { get; private set; } = null!;
    public ApplianceApi Api { get; private set; } = null!;
    public Seed Seed { get; private set; } = null!;
    public Uri BaseUri => Daemon.BaseUri;
    public string BaseUrl => Daemon.BaseUri.ToString().TrimEnd('/');
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("browser not started");

    /// <summary>Screenshots of every page land here (test output), and the README's two in docs/screenshots.</summary>
    public static string ScreenshotDir { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>The password the fixture gives the built-in admin after its first sign-in with the admin secret.</summary>
    public const string AdminPassword = "ui-tests admin password";

    public async Task InitializeAsync()
    {
        var chromium = ChromiumPaths.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "Chromium is not installed: none of " + string.Join(", ", ChromiumPaths) + " exists. " +
                "Install Debian's chromium package (scripts/deps.sh does); the UI tests never download browsers.");

        Daemon = await Daemon.StartAsync();
        Api = new ApplianceApi(Daemon.BaseUri, Daemon.AdminToken);
        Seed = await Seed.CreateAsync(Api);

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
            ],
        });
        Assertions.SetDefaultExpectTimeout(10_000);
        Directory.CreateDirectory(ScreenshotDir);

        // Sign in once through the real endpoint; tests that are not about login reuse the cookie.
        await using var request = await _playwright.APIRequest.NewContextAsync(new APIRequestNewContextOptions
        {
            BaseURL = BaseUrl,
            ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Outpost-Csrf"] = "1" },
        });
        var login = await request.PostAsync("/api/session", new APIRequestContextOptions { DataObject = new { secret = Daemon.AdminToken } });
        if (login.Status != 204 && login.Status != 200)
        {
            throw new InvalidOperationException($"POST /api/session with the admin secret answered {login.Status}: {await login.TextAsync()}");
        }

        // The built-in admin's first sign-in asks for a password; set it, as the UI would make the admin do.
        var password = await request.PutAsync("/api/account/password", new APIRequestContextOptions { DataObject = new { password = AdminPassword } });
        if (password.Status != 204)
        {
            throw new InvalidOperationException($"PUT /api/account/password answered {password.Status}: {await password.TextAsync()}");
        }

        _sessionState = await request.StorageStateAsync();

        // A viewer, signed in now: tests that lock the sign-in form out must not keep the viewer's tests from signing in.
        var created = await request.PostAsync("/api/users", new APIRequestContextOptions { DataObject = new { username = ViewerName, role = "viewer", password = ViewerPassword } });
        if (created.Status != 201)
        {
            throw new InvalidOperationException($"POST /api/users answered {created.Status}: {await created.TextAsync()}");
        }

        await using var viewer = await _playwright.APIRequest.NewContextAsync(new APIRequestNewContextOptions { BaseURL = BaseUrl });
        var viewerLogin = await viewer.PostAsync("/api/session", new APIRequestContextOptions { DataObject = new { username = ViewerName, password = ViewerPassword } });
        if (viewerLogin.Status != 204)
        {
            throw new InvalidOperationException($"the viewer's sign-in answered {viewerLogin.Status}: {await viewerLogin.TextAsync()}");
        }

        _viewerState = await viewer.StorageStateAsync();
    }

    /// <summary>A fresh context; signed in unless <paramref name="signedIn"/> is false.</summary>
    public async Task<IPage> NewPageAsync(bool signedIn = true, ColorScheme colorScheme = ColorScheme.Light, bool asViewer = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            ColorScheme = colorScheme,
            StorageState = asViewer ? _viewerState : signedIn ? _sessionState : null,
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(10_000);
        return page;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Api?.Dispose();
        if (Daemon is not null)
        {
            await Daemon.DisposeAsync();
        }
    }
}
