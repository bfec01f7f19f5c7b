namespace Outpost.Store.Records.Findings;

/// <summary>
/// The findings' tables (docs/results.md). <c>scan_findings</c> holds one row per (scan, ip, port, proto), clustered
/// on that key so a scan's results page in key order straight off the index; <c>job_finding_counts</c> keeps how
/// many findings each job added (the per-job cap, read in O(1)) and which scans have findings (retention).
/// Text keys compare bytewise on both engines (SQLite's BINARY, PostgreSQL's "C" collation), so both page alike.
/// </summary>
internal static class FindingsSchema
{
    public static IReadOnlyList<Migration> Migrations { get; } =
    [
        new("findings-1",
            Sqlite: """
                CREATE TABLE scan_findings (
                    scan_id bigint NOT NULL,
                    ip      text   NOT NULL,
                    port    int    NOT NULL,
                    proto   text   NOT NULL,
                    job_id  bigint NOT NULL,
                    state   text   NOT NULL,
                    ttl     int,
                    seen_at bigint NOT NULL,
                    PRIMARY KEY (scan_id, ip, port, proto)
                ) WITHOUT ROWID;
                CREATE TABLE job_finding_counts (
                    job_id   bigint NOT NULL PRIMARY KEY,
                    scan_id  bigint NOT NULL,
                    findings bigint NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX job_finding_counts_scan ON job_finding_counts (scan_id);
                """,
            // The job store's schema 1 had a findings table of its own (tied to scans by a foreign key, times as
            // timestamptz): it becomes scan_findings in place, so findings recorded before the move are kept.
            Postgres: """
                DO $$
                BEGIN
                    IF to_regclass('findings') IS NOT NULL AND to_regclass('scan_findings') IS NULL THEN
                        ALTER TABLE findings RENAME TO scan_findings;
                        ALTER TABLE scan_findings DROP CONSTRAINT IF EXISTS findings_scan_id_fkey;
                        ALTER TABLE scan_findings
                            ALTER COLUMN ip TYPE text COLLATE "C",
                            ALTER COLUMN proto TYPE text COLLATE "C",
                            ALTER COLUMN seen_at TYPE bigint USING (extract(epoch FROM seen_at) * 1000000)::bigint;
                    ELSE
                        CREATE TABLE scan_findings (
                            scan_id bigint NOT NULL,
                            ip      text   COLLATE "C" NOT NULL,
                            port    int    NOT NULL,
                            proto   text   COLLATE "C" NOT NULL,
                            job_id  bigint NOT NULL,
                            state   text   NOT NULL,
                            ttl     int,
                            seen_at bigint NOT NULL,
                            PRIMARY KEY (scan_id, ip, port, proto)
                        );
                    END IF;
                END $$;
                CREATE TABLE job_finding_counts (
                    job_id   bigint NOT NULL PRIMARY KEY,
                    scan_id  bigint NOT NULL,
                    findings bigint NOT NULL
                );
                INSERT INTO job_finding_counts (job_id, scan_id, findings)
                    SELECT job_id, min(scan_id), count(*) FROM scan_findings GROUP BY job_id;
                CREATE INDEX job_finding_counts_scan ON job_finding_counts (scan_id);
                """),
    ];
}
