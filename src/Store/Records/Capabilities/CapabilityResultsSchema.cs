namespace Outpost.Store.Records.Capabilities;

/// <summary>
/// The tables of the capabilities' typed results (docs/capabilities.md): identified services, screenshots (metadata
/// and the PNG bytes, capped by the appliance) and crawled pages, each keyed by scan so a scan's results page reads
/// them off the primary key. A repeated upload replaces the row it repeats (a scanner re-sends a batch it is not sure
/// arrived), so every key holds one row.
/// </summary>
internal static class CapabilityResultsSchema
{
    private const string Services = """
        CREATE TABLE scan_services (
            scan_id bigint NOT NULL,
            ip      text   NOT NULL,
            port    int    NOT NULL,
            job_id  bigint NOT NULL,
            service text   NOT NULL,
            product text,
            version text,
            facts   text   NOT NULL,
            seen_at bigint NOT NULL,
            PRIMARY KEY (scan_id, ip, port)
        );
        CREATE TABLE scan_pages (
            scan_id      bigint NOT NULL,
            url          text   NOT NULL,
            ip           text   NOT NULL,
            port         int    NOT NULL,
            job_id       bigint NOT NULL,
            depth        int    NOT NULL,
            status       int    NOT NULL,
            title        text,
            content_type text,
            forms        text   NOT NULL,
            error        text,
            seen_at      bigint NOT NULL,
            PRIMARY KEY (scan_id, url)
        );
        """;

    public static IReadOnlyList<Migration> Migrations { get; } =
    [
        new("capabilities-1",
            Sqlite: Services + """
                CREATE TABLE scan_screenshots (
                    scan_id bigint NOT NULL,
                    ip      text   NOT NULL,
                    port    int    NOT NULL,
                    url     text   NOT NULL,
                    job_id  bigint NOT NULL,
                    png     blob   NOT NULL,
                    seen_at bigint NOT NULL,
                    PRIMARY KEY (scan_id, ip, port)
                );
                """,
            Postgres: Services + """
                CREATE TABLE scan_screenshots (
                    scan_id bigint NOT NULL,
                    ip      text   NOT NULL,
                    port    int    NOT NULL,
                    url     text   NOT NULL,
                    job_id  bigint NOT NULL,
                    png     bytea  NOT NULL,
                    seen_at bigint NOT NULL,
                    PRIMARY KEY (scan_id, ip, port)
                );
                """),
    ];
}
