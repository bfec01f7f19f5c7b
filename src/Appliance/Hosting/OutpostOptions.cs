namespace Outpost.Appliance.Hosting;

/// <summary>
/// The daemon's settings: section <c>Outpost</c> of <c>/etc/outpost/outpost.json</c> (or <c>--config</c>), with the
/// defaults an installed appliance runs with. <c>--data-dir</c> and <c>--urls</c> override the file.
/// </summary>
public sealed class OutpostOptions
{
    public const string Section = "Outpost";

    /// <summary>State: the store, the TLS certificate and the generated admin token.</summary>
    public string DataDirectory { get; set; } = "/var/lib/outpost";

    /// <summary>Listen URLs separated by ';'. HTTPS ones use <see cref="Tls"/>.</summary>
    public string Urls { get; set; } = "https://*:443";

    public TlsOptions Tls { get; set; } = new();

    public ScannerTimeouts Scanners { get; set; } = new();

    public SchedulingOptions Scheduling { get; set; } = new();

    public RetentionOptions Retention { get; set; } = new();

    public FindingsOptions Findings { get; set; } = new();

    /// <summary>The appliance's own scanner, <c>local</c> (off unless enabled).</summary>
    public BuiltInScanner.BuiltInScannerOptions BuiltInScanner { get; set; } = new();

    /// <summary>Memory sizing of the embedded store; unset values keep the store's own defaults.</summary>
    public StoreSizing Store { get; set; } = new();

    /// <summary>Directory (LDAP / Active Directory) sign-in; off unless enabled.</summary>
    public Accounts.DirectoryOptions Directory { get; set; } = new();

    public AuditOptions Audit { get; set; } = new();

    /// <summary>How queued notifications are polled for and retried (docs/notifications.md).</summary>
    public Notifications.NotificationOptions Notifications { get; set; } = new();

    /// <summary>Processing scans into the inventory (docs/inventory.md).</summary>
    public InventoryOptions Inventory { get; set; } = new();

    /// <summary>How long a web UI session lasts after login.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    public string StoreDirectory => Path.Combine(DataDirectory, "store");

    public IReadOnlyList<string> UrlList => Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Limits on what scanners may report (docs/results.md).</summary>
public sealed class FindingsOptions
{
    /// <summary>
    /// The most findings one job may add. Results are also bounded by the job's own targets and ports (anything outside
    /// them is refused), so this cap matters for jobs over large blocks: it keeps one job from filling the disk.
    /// </summary>
    public long MaxPerJob { get; set; } = 1_000_000;
}

/// <summary>The HTTPS certificate: an admin's own PEM files, or (both unset) a self-signed one generated into the data directory.</summary>
public sealed class TlsOptions
{
    public string? CertificatePath { get; set; }
    public string? KeyPath { get; set; }
}

/// <summary>When a silent scanner counts as offline and when its jobs go to someone else (docs/lifecycle.md).</summary>
public sealed class ScannerTimeouts
{
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(90);
    public TimeSpan ReassignTimeout { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>How many times a job lost with its scanner goes back to the queue; the next loss fails it, with the reason.</summary>
    public int MaxAttempts { get; set; } = 5;
    /// <summary>
    /// How long a heartbeating scanner may leave a job it holds out of its <c>runningJobs</c> before the job goes back
    /// to the queue (a lost claim reply, a lost run; docs/lifecycle.md). Longer than a heartbeat interval or two.
    /// </summary>
    public TimeSpan LeaseGrace { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>How often the supervisor looks for offline scanners and stuck scans.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Overrides of the embedded store's sizing (see <c>FasterStoreOptions</c> and docs/store-operations.md, "Sizing"): the
/// defaults suit a small appliance, and the hash indexes grow with the live jobs; bigger boxes set larger log memories, tests smaller ones.
/// </summary>
public sealed class StoreSizing
{
    /// <summary>The backend: <c>faster</c> (the embedded store, default) or <c>postgres</c> (shared by several ingest nodes).</summary>
    public string Kind { get; set; } = StoreKinds.Faster;

    /// <summary>The Npgsql connection string when <see cref="Kind"/> is <c>postgres</c>.</summary>
    public string? ConnectionString { get; set; }

    public int? JobMemorySizeBits { get; set; }
    public long? JobIndexBuckets { get; set; }
    public int? BlobMemorySizeBits { get; set; }
    public long? BlobIndexBuckets { get; set; }
    /// <summary>Changes are refused (503) while the data directory's file system has less free space than this.</summary>
    public long? MinFreeBytes { get; set; }
    public long? CompactionMinBytes { get; set; }
    /// <summary>How often a scanner's last-seen time reaches the disk (heartbeats are kept in memory in between).</summary>
    public TimeSpan? HeartbeatPersistInterval { get; set; }
}

/// <summary>How often the scheduler looks for due scheduled and recurring scans (the granularity of their start).</summary>
public sealed class SchedulingOptions
{
    public TimeSpan CycleInterval { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>How long finished jobs and their findings are kept, and how often old ones are removed.</summary>
public sealed class RetentionOptions
{
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>How long audit entries are kept (docs/users-and-audit.md); the retention loop removes older ones.</summary>
/// <summary>The inventory's processing loop (docs/inventory.md, "Processing").</summary>
public sealed class InventoryOptions
{
    /// <summary>How often the loop looks for scans whose probing ended.</summary>
    public TimeSpan ProcessingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Open findings per processing transaction (a slice runs on to the end of its last address).</summary>
    public int SliceRows { get; set; } = Store.Records.Inventory.InventoryProcessing.DefaultSliceRows;

    /// <summary>
    /// Test hook: after this many slices of a scan the loop stops processing (until a restart), so a test can kill the
    /// daemon mid-way. Null (the default): no pause.
    /// </summary>
    public int? PauseAfterSlices { get; set; }

    /// <summary>Reverse DNS of the inventory's addresses (docs/inventory.md, "Hostnames").</summary>
    public ReverseDnsOptions ReverseDns { get; set; } = new();
}

/// <summary>Reverse DNS lookups of the inventory's addresses through the system resolver (<c>Outpost:Inventory:ReverseDns</c>).</summary>
public sealed class ReverseDnsOptions
{
    /// <summary>Off for a resolver that hangs or a network where the appliance must not ask one.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the loop looks for addresses that are due a lookup.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A lookup not answered within this is given up (the address has no name until the next one).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Lookups under way at once.</summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>An address is looked up again this long after its last lookup.</summary>
    public TimeSpan RefreshAfter { get; set; } = TimeSpan.FromDays(7);
}

public sealed class AuditOptions
{
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(365);
}
