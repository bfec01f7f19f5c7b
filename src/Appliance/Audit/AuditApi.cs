using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Outpost.Appliance.Contracts;
using Outpost.Appliance.Http;
using Outpost.Store.Records.Audit;

namespace Outpost.Appliance.Audit;

/// <summary>
/// The audit log, read-only by design (admins only): <c>GET /api/audit?q=&amp;cursor=&amp;limit=</c> newest first, with
/// <c>nextCursor</c> for the next page; <c>format=csv</c> streams every matching entry as CSV, row by row from the
/// database, so an export of a year's log needs no memory. There is no route that edits or deletes an entry.
/// </summary>
public static class AuditApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static void MapAuditApi(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit").RequireAuthorization(AuthPolicies.Admin);
        audit.MapGet("", QueryAsync);
    }

    private static async Task<Results<Ok<AuditListResponse>, BadRequestError, EmptyHttpResult>> QueryAsync(HttpContext context, string? q, string? cursor,
        string? limit, string? format, AuditRepository audit)
    {
        if (q is { Length: > 200 })
        {
            return new BadRequestError("q must be at most 200 characters.");
        }

        if (format == "csv")
        {
            await WriteCsvAsync(context, audit.StreamAsync(q, context.RequestAborted));
            return TypedResults.Empty;
        }

        if (format is not null and not "json")
        {
            return new BadRequestError("format must be json or csv.");
        }

        var pageSize = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxLimit))
        {
            return new BadRequestError($"limit must be a whole number from 1 to {MaxLimit}.");
        }

        long? before = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!long.TryParse(cursor, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
            {
                return new BadRequestError("cursor must be a nextCursor from an earlier page.");
            }

            before = parsed;
        }

        var entries = await audit.QueryAsync(q, before, pageSize + 1, context.RequestAborted);
        var page = entries.Take(pageSize).Select(Response).ToList();
        return TypedResults.Ok(new AuditListResponse(page,
            entries.Count > pageSize ? page[^1].Id.ToString(CultureInfo.InvariantCulture) : null));
    }

    public static string Outcome(int status) => status switch
    {
        < 400 => "ok",
        StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden or StatusCodes.Status429TooManyRequests => "refused",
        _ => "failed",
    };

    private static AuditEntryResponse Response(AuditEntry e) =>
        new(e.Id, e.At, e.Username, e.Role, e.SourceIp, e.Action, e.Target, e.Status, Outcome(e.Status));

    private static async Task WriteCsvAsync(HttpContext context, IAsyncEnumerable<AuditEntry> entries)
    {
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = "attachment; filename=\"outpost-audit.csv\"";
        var line = new StringBuilder();
        await context.Response.WriteAsync("id,time,user,role,source_ip,action,target,status,outcome\n", context.RequestAborted);
        await foreach (var e in entries)
        {
            line.Clear();
            line.Append(e.Id.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)).Append(',');
            foreach (var field in (ReadOnlySpan<string?>)[e.Username, e.Role, e.SourceIp, e.Action, e.Target])
            {
                line.Append(CsvField.Escape(field)).Append(',');
            }

            line.Append(e.Status.ToString(CultureInfo.InvariantCulture)).Append(',').Append(Outcome(e.Status)).Append('\n');
            await context.Response.WriteAsync(line.ToString(), context.RequestAborted);
        }
    }
}
