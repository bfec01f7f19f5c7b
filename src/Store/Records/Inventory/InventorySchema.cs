namespace Outpost.Store.Records.Inventory;

/// <summary>
/// The inventory's tables (docs/inventory.md). <c>inventory_assets</c> (one row per address) and
/// <c>inventory_services</c> (one per address, port and protocol) are the merged view of every processed scan;
/// <c>inventory_sightings</c> says which scans saw an asset; <c>inventory_history</c> is each asset's timeline, keyed
/// by what happened in which scan so processing a batch twice records an event once. <c>inventory_scan_services</c>
/// is what each scan saw (the change summary compares two of them), <c>inventory_changes</c> the summary itself, and
/// <c>inventory_processing</c> each scan's processing cursor, committed with the batch it covers.
/// Search: an FTS5 trigram index on SQLite, a pg_trgm GIN index on PostgreSQL, over each asset's <c>search</c> text
/// (address, hostnames, services, products, certificate subjects), so a substring query does not scan the table.
/// Text keys compare bytewise on both engines (SQLite's BINARY, PostgreSQL's "C" collation), so both page alike.
/// </summary>
internal static class InventorySchema
{
    private const string ServiceColumns = """
            service        text,
            product        text,
            version        text,
            cert_subject   text,
            cert_sha256    text,
            cert_not_after bigint,
            http_title     text,
        """;

    private static string Tables(string key, string withoutRowId) => $"""
        CREATE TABLE inventory_services (
            ip   text {key} NOT NULL,
            port int  NOT NULL,
            proto text {key} NOT NULL,
        {ServiceColumns}
            screenshot_scan bigint,
            facts      text,
            first_seen bigint NOT NULL,
            last_seen  bigint NOT NULL,
            first_scan bigint NOT NULL,
            last_scan  bigint NOT NULL,
            gone_scan  bigint,
            PRIMARY KEY (ip, port, proto)
        ){withoutRowId};
        CREATE INDEX inventory_services_port ON inventory_services (port, ip);
        CREATE INDEX inventory_services_service ON inventory_services (service, ip);
        CREATE INDEX inventory_services_expiry ON inventory_services (cert_not_after, ip) WHERE cert_not_after IS NOT NULL;
        CREATE TABLE inventory_sightings (
            ip      text {key} NOT NULL,
            scan_id bigint NOT NULL,
            PRIMARY KEY (ip, scan_id)
        ){withoutRowId};
        CREATE TABLE inventory_history (
            ip      text {key} NOT NULL,
            scan_id bigint NOT NULL,
            kind    text {key} NOT NULL,
            port    int    NOT NULL,
            proto   text {key} NOT NULL,
            at      bigint NOT NULL,
            detail  text,
            PRIMARY KEY (ip, scan_id, kind, port, proto)
        ){withoutRowId};
        CREATE TABLE inventory_scan_services (
            scan_id bigint NOT NULL,
            ip      text {key} NOT NULL,
            port    int    NOT NULL,
            proto   text {key} NOT NULL,
        {ServiceColumns}
            PRIMARY KEY (scan_id, ip, port, proto)
        ){withoutRowId};
        CREATE TABLE inventory_changes (
            scan_id bigint NOT NULL,
            kind    text {key} NOT NULL,
            ip      text {key} NOT NULL,
            port    int    NOT NULL,
            proto   text {key} NOT NULL,
        {ServiceColumns}
            prev_product     text,
            prev_version     text,
            prev_cert_sha256 text,
            prev_http_title  text,
            PRIMARY KEY (scan_id, kind, ip, port, proto)
        ){withoutRowId};
        CREATE TABLE inventory_processing (
            scan_id       bigint NOT NULL PRIMARY KEY,
            run_key       text   {key} NOT NULL,
            previous_scan bigint,
            finished_at   bigint NOT NULL,
            cursor_ip     text   {key},
            processed     bigint NOT NULL,
            total         bigint NOT NULL,
            phase         int    NOT NULL
        );
        CREATE INDEX inventory_processing_run ON inventory_processing (run_key, scan_id);
        """;

    public static IReadOnlyList<Migration> Migrations { get; } =
    [
        new("inventory-1",
            // An integer rowid of its own: the FTS index refers to it, and VACUUM may renumber an implicit rowid.
            Sqlite: """
                CREATE TABLE inventory_assets (
                    id         INTEGER PRIMARY KEY,
                    ip         text   NOT NULL UNIQUE,
                    hostnames  text   NOT NULL,
                    first_seen bigint NOT NULL,
                    last_seen  bigint NOT NULL,
                    first_scan bigint NOT NULL,
                    last_scan  bigint NOT NULL,
                    services   int    NOT NULL,
                    search     text   NOT NULL
                );
                CREATE INDEX inventory_assets_first_seen ON inventory_assets (first_seen);
                CREATE VIRTUAL TABLE inventory_search USING fts5(search, content='inventory_assets', content_rowid='id', tokenize='trigram');
                CREATE TRIGGER inventory_assets_search_insert AFTER INSERT ON inventory_assets BEGIN
                    INSERT INTO inventory_search (rowid, search) VALUES (new.id, new.search);
                END;
                CREATE TRIGGER inventory_assets_search_delete AFTER DELETE ON inventory_assets BEGIN
                    INSERT INTO inventory_search (inventory_search, rowid, search) VALUES ('delete', old.id, old.search);
                END;
                CREATE TRIGGER inventory_assets_search_update AFTER UPDATE OF search ON inventory_assets WHEN old.search <> new.search BEGIN
                    INSERT INTO inventory_search (inventory_search, rowid, search) VALUES ('delete', old.id, old.search);
                    INSERT INTO inventory_search (rowid, search) VALUES (new.id, new.search);
                END;
                """ + Tables("", " WITHOUT ROWID"),
            Postgres: """
                CREATE TABLE inventory_assets (
                    ip         text   COLLATE "C" NOT NULL PRIMARY KEY,
                    hostnames  text   NOT NULL,
                    first_seen bigint NOT NULL,
                    last_seen  bigint NOT NULL,
                    first_scan bigint NOT NULL,
                    last_scan  bigint NOT NULL,
                    services   int    NOT NULL,
                    search     text   NOT NULL
                );
                CREATE INDEX inventory_assets_first_seen ON inventory_assets (first_seen);
                -- pg_trgm (a trusted extension: the database owner may create it) lives in one schema per database;
                -- its operator class is named with that schema, whichever schema the records use.
                DO $$
                DECLARE trgm text;
                BEGIN
                    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
                    SELECT n.nspname INTO trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
                    EXECUTE format('CREATE INDEX inventory_assets_search ON inventory_assets USING gin (search %I.gin_trgm_ops)', trgm);
                END $$;
                """ + Tables("COLLATE \"C\"", "")),

        // A changed service's previous side in full (the certificate's subject and expiry, the service name), not only
        // what the comparison looks at: the summary shows which certificate was replaced by which.
        new("inventory-previous-facts-1", """
            ALTER TABLE inventory_changes ADD COLUMN prev_service text;
            ALTER TABLE inventory_changes ADD COLUMN prev_cert_subject text;
            ALTER TABLE inventory_changes ADD COLUMN prev_cert_not_after bigint;
            """),

        // A slice reads the capabilities' results of its address range (ScanObservations): without these, each slice
        // read all of the scan's pages (keyed by URL) and, on PostgreSQL, all of its services and screenshots (their
        // keys use the database's collation, the slice bounds bytewise order), so a scan's processing grew with the
        // square of its results.
        new("inventory-2-slice-indexes",
            Sqlite: "CREATE INDEX inventory_slice_pages ON scan_pages (scan_id, ip);",
            Postgres: """
                CREATE INDEX inventory_slice_services ON scan_services (scan_id, ip COLLATE "C");
                CREATE INDEX inventory_slice_pages ON scan_pages (scan_id, ip COLLATE "C");
                CREATE INDEX inventory_slice_screenshots ON scan_screenshots (scan_id, ip COLLATE "C");
                """),

        // Reverse DNS (ReverseDnsNames): the names it gave (also among the hostnames, which the search covers) and when the
        // address was last looked up (null: never), indexed so the lookups find the addresses that are due without a scan.
        new("inventory-3-reverse-dns", """
            ALTER TABLE inventory_assets ADD COLUMN dns_names text NOT NULL DEFAULT '';
            ALTER TABLE inventory_assets ADD COLUMN dns_checked bigint;
            CREATE INDEX inventory_assets_dns_checked ON inventory_assets (dns_checked);
            """),

        // Each reverse DNS lookup replaces the names the last one gave (AssetNames), so the hostnames are kept by source:
        // scan_names, the names scans found, beside dns_names. Before this step the sources were not told apart: a name
        // both gave is taken for reverse DNS's (it stays while the lookups return it, and comes back with the next scan
        // that finds it). SQLite splits the names through JSON (json_quote escapes what a name may hold, never a space).
        new("inventory-4-scan-names",
            Sqlite: """
                ALTER TABLE inventory_assets ADD COLUMN scan_names text NOT NULL DEFAULT '';
                UPDATE inventory_assets SET scan_names = hostnames WHERE dns_names = '';
                UPDATE inventory_assets SET scan_names = coalesce((SELECT group_concat(h.value, ' ')
                    FROM json_each('[' || replace(json_quote(hostnames), ' ', '","') || ']') h
                    WHERE h.value <> '' AND instr(' ' || dns_names || ' ', ' ' || h.value || ' ') = 0), '')
                WHERE dns_names <> '';
                """,
            Postgres: """
                ALTER TABLE inventory_assets ADD COLUMN scan_names text NOT NULL DEFAULT '';
                UPDATE inventory_assets SET scan_names = hostnames WHERE dns_names = '';
                UPDATE inventory_assets SET scan_names = array_to_string(ARRAY(
                    SELECT n.name FROM unnest(string_to_array(hostnames, ' ')) WITH ORDINALITY AS n(name, i)
                    WHERE n.name <> '' AND n.name <> ALL (string_to_array(dns_names, ' ')) ORDER BY n.i), ' ')
                WHERE dns_names <> '';
                """),
    ];
}
