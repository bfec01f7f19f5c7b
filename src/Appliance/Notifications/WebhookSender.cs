using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Outpost.Store.Records.Notifications;

namespace Outpost.Appliance.Notifications;

/// <summary>
/// POSTs a delivery's JSON body to its webhook. With a secret, <c>X-Outpost-Signature: sha256=&lt;hex&gt;</c> is the
/// HMAC-SHA256 of the exact body bytes under the secret, so a receiver recomputes it over what it read and compares in
/// constant time. A status other than 2xx is a failure (and retried).
/// </summary>
public sealed class WebhookSender : IDisposable
{
    public const string SignatureHeader = "X-Outpost-Signature";
    public const string EventHeader = "X-Outpost-Event";
    public const string DeliveryHeader = "X-Outpost-Delivery";

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    public WebhookSender() => _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Outpost-Notifications", "1"));

    /// <summary>The signature header's value for <paramref name="body"/> under <paramref name="secret"/>.</summary>
    public static string Sign(string secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public async Task SendAsync(OutboxDelivery delivery, string? secret, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(delivery.Message.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Message.Target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(EventHeader, delivery.Message.Event);
        request.Headers.Add(DeliveryHeader, delivery.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(secret))
        {
            request.Headers.Add(SignatureHeader, Sign(secret, body));
        }

        using var response = await _http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The webhook answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
        }
    }

    public void Dispose() => _http.Dispose();
}
