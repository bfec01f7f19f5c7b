using System.Globalization;
using System.Text;
using System.Xml;
using Outpost.Store.Model;
using Outpost.Store.Records.Inventory;

namespace Outpost.Appliance.Inventory;

/// <summary>
/// A scan's results as nmap XML (docs/inventory.md, "Exports"), valid against nmap's DTD, so tools that import
/// nmap's output (DefectDojo's nmap parser, IVRE) read Outpost's scans: one <c>host</c> per address with its ports, the
/// fingerprint's service facts as <c>service</c> (method "probed") and the inventory's hostnames. Written as the rows
/// come, so memory holds one host, whatever the scan's size.
/// </summary>
public static class NmapXml
{
    public const string ContentType = "application/xml; charset=utf-8";

    /// <summary>The DTD's output version this writer follows (nmap 7's).</summary>
    private const string OutputVersion = "1.05";

    public static async Task WriteAsync(Stream body, Scan scan, IAsyncEnumerable<(string State, ServiceSnapshot Service)> rows,
        Func<string, Task<AssetSummary?>> asset)
    {
        var settings = new XmlWriterSettings { Async = true, Encoding = new UTF8Encoding(false), Indent = true };
        await using var xml = XmlWriter.Create(body, settings);
        var start = scan.StartedAt ?? scan.CreatedAt;
        var end = scan.FinishedAt ?? start;
        await xml.WriteStartDocumentAsync();
        await xml.WriteDocTypeAsync("nmaprun", null, null, null);
        await xml.WriteStartElementAsync(null, "nmaprun", null);
        await Attribute(xml, "scanner", "nmap");
        await Attribute(xml, "args", $"outpost scan {scan.Id} ({scan.Spec.Capability}): {string.Join(' ', scan.Spec.Targets)} -p {scan.Spec.Ports}");
        await Attribute(xml, "start", start.ToUnixTimeSeconds());
        await Attribute(xml, "startstr", start.ToString("R", CultureInfo.InvariantCulture));
        await Attribute(xml, "version", "outpost");
        await Attribute(xml, "xmloutputversion", OutputVersion);
        await xml.WriteStartElementAsync(null, "scaninfo", null);
        await Attribute(xml, "type", "syn");
        await Attribute(xml, "protocol", "tcp");
        await Attribute(xml, "numservices", 0);
        await Attribute(xml, "services", scan.Spec.Ports);
        await xml.WriteEndElementAsync();
        await Empty(xml, "verbose", ("level", "0"));
        await Empty(xml, "debugging", ("level", "0"));

        var hosts = 0;
        string? open = null;
        await foreach (var (state, service) in rows)
        {
            if (service.Ip != open)
            {
                if (open is not null) await EndHostAsync(xml);
                open = service.Ip;
                hosts++;
                await StartHostAsync(xml, service.Ip, start, end, await asset(service.Ip));
            }

            await WritePortAsync(xml, state, service);
        }

        if (open is not null) await EndHostAsync(xml);
        await xml.WriteStartElementAsync(null, "runstats", null);
        await Empty(xml, "finished", ("time", Number(end.ToUnixTimeSeconds())), ("timestr", end.ToString("R", CultureInfo.InvariantCulture)),
            ("elapsed", Number((long)(end - start).TotalSeconds)), ("exit", "success"));
        await Empty(xml, "hosts", ("up", Number(hosts)), ("down", "0"), ("total", Number(hosts)));
        await xml.WriteEndElementAsync();
        await xml.WriteEndElementAsync();
        await xml.WriteEndDocumentAsync();
    }

    private static async Task StartHostAsync(XmlWriter xml, string ip, DateTimeOffset start, DateTimeOffset end, AssetSummary? asset)
    {
        await xml.WriteStartElementAsync(null, "host", null);
        await Attribute(xml, "starttime", start.ToUnixTimeSeconds());
        await Attribute(xml, "endtime", end.ToUnixTimeSeconds());
        await Empty(xml, "status", ("state", "up"), ("reason", "syn-ack"), ("reason_ttl", "0"));
        await Empty(xml, "address", ("addr", ip), ("addrtype", "ipv4"));
        await xml.WriteStartElementAsync(null, "hostnames", null);
        // nmap's own types: PTR for a name reverse DNS gave, user for one learned otherwise (certificates, crawled URLs).
        var fromDns = asset?.DnsNames ?? [];
        foreach (var name in asset?.Hostnames ?? [])
        {
            await Empty(xml, "hostname", ("name", name), ("type", fromDns.Contains(name) ? "PTR" : "user"));
        }
        await xml.WriteEndElementAsync();
        await xml.WriteStartElementAsync(null, "ports", null);
    }

    private static async Task EndHostAsync(XmlWriter xml)
    {
        await xml.WriteEndElementAsync();
        await xml.WriteEndElementAsync();
    }

    private static async Task WritePortAsync(XmlWriter xml, string state, ServiceSnapshot service)
    {
        await xml.WriteStartElementAsync(null, "port", null);
        await Attribute(xml, "protocol", service.Proto is "tcp" or "udp" or "sctp" ? service.Proto : "ip");
        await Attribute(xml, "portid", service.Port);
        await Empty(xml, "state", ("state", state), ("reason", state == "open" ? "syn-ack" : "reset"), ("reason_ttl", "0"));
        if (service.Service is { } name)
        {
            await xml.WriteStartElementAsync(null, "service", null);
            await Attribute(xml, "name", name);
            if (service.Product is { } product) await Attribute(xml, "product", product);
            if (service.Version is { } version) await Attribute(xml, "version", version);
            if (service.HttpTitle is { } title) await Attribute(xml, "extrainfo", "title: " + title);
            if (service.CertSha256 is not null) await Attribute(xml, "tunnel", "ssl");
            await Attribute(xml, "method", "probed");
            await Attribute(xml, "conf", "10");
            await xml.WriteEndElementAsync();
        }

        await xml.WriteEndElementAsync();
    }

    private static async Task Empty(XmlWriter xml, string element, params (string Name, string Value)[] attributes)
    {
        await xml.WriteStartElementAsync(null, element, null);
        foreach (var (name, value) in attributes) await Attribute(xml, name, value);
        await xml.WriteEndElementAsync();
    }

    // Async all the way: the writer flushes to the response body, which refuses synchronous writes.
    private static Task Attribute(XmlWriter xml, string name, string value) => xml.WriteAttributeStringAsync(null, name, null, value);

    private static Task Attribute(XmlWriter xml, string name, long value) => Attribute(xml, name, Number(value));

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
