using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Outpost.Probe.Capabilities.Crawler;

/// <summary>What the crawler reads from an HTML page: its title, the links it may follow and its forms (AngleSharp parses).</summary>
internal sealed class HtmlPage
{
    private static readonly HtmlParser Parser = new();

    private HtmlPage(string? title, List<Uri> links, List<PageForm> forms)
    {
        Title = title;
        Links = links;
        Forms = forms;
    }

    public string? Title { get; }

    /// <summary>Absolute http(s) links in document order, fragments removed (any origin: the crawler filters).</summary>
    public IReadOnlyList<Uri> Links { get; }

    public IReadOnlyList<PageForm> Forms { get; }

    public static HtmlPage Parse(string html, Uri url)
    {
        using var document = Parser.ParseDocument(html);
        var title = document.Title is { } text ? string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) : null;
        var links = new List<Uri>();
        foreach (var element in document.QuerySelectorAll("a[href], area[href], iframe[src], frame[src]"))
        {
            if (Resolve(url, element.GetAttribute("href") ?? element.GetAttribute("src")) is { } link)
            {
                links.Add(link);
            }
        }

        var forms = new List<PageForm>();
        foreach (var form in document.Forms)
        {
            forms.Add(ReadForm(form, url));
        }

        return new HtmlPage(string.IsNullOrEmpty(title) ? null : title, links, forms);
    }

    /// <summary>An absolute http(s) URL without fragment, or null for anything else (mailto:, javascript:, malformed).</summary>
    public static Uri? Resolve(Uri page, string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference) || !Uri.TryCreate(page, reference.Trim(), out var absolute)
            || absolute.Scheme is not ("http" or "https"))
        {
            return null;
        }

        return string.IsNullOrEmpty(absolute.Fragment) ? absolute : new UriBuilder(absolute) { Fragment = "" }.Uri;
    }

    private static PageForm ReadForm(IHtmlFormElement form, Uri page)
    {
        var action = Resolve(page, form.GetAttribute("action") is { Length: > 0 } given ? given : page.ToString()) ?? page;
        var method = form.GetAttribute("method")?.Trim().ToUpperInvariant() is { Length: > 0 } m ? m : "GET";
        var inputs = new List<string>();
        foreach (var control in form.QuerySelectorAll("input[name], select[name], textarea[name], button[name]"))
        {
            inputs.Add(control.GetAttribute("name")!);
        }

        return new PageForm(action.ToString(), method, inputs);
    }
}
