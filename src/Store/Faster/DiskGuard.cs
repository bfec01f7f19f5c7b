namespace Outpost.Store.Faster;

/// <summary>
/// Watches the free space of the data directory's file system and refuses changes while it is below a reserve, so
/// the logs never run into a full disk half-way through a write: a request is refused before anything changes (503,
/// retried by clients) and service resumes by itself once space is back (docs/store-operations.md, "Disk full").
/// The check is a statvfs twice a second; the hot path reads one field.
/// </summary>
internal sealed class DiskGuard : IDisposable
{
    private readonly DriveInfo _drive;
    private readonly long _reserveBytes;
    private readonly ITimer _timer;
    private volatile string? _problem;

    public DiskGuard(string directory, long reserveBytes, TimeProvider clock)
    {
        _drive = new DriveInfo(directory);
        _reserveBytes = reserveBytes;
        Check();
        _timer = clock.CreateTimer(_ => Check(), null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
    }

    /// <summary>Why changes are refused, or null while there is room.</summary>
    public string? Problem => _problem;

    /// <summary>Free bytes beyond the reserve, as of the last check.</summary>
    public long Headroom { get; private set; } = long.MaxValue;

    private void Check()
    {
        try
        {
            var free = _drive.AvailableFreeSpace;
            Headroom = free - _reserveBytes;
            _problem = free >= _reserveBytes ? null
                : $"the data directory's file system has {free >> 20} MiB free, below the reserve of {_reserveBytes >> 20} MiB; free some space and the store resumes by itself";
        }
        catch (IOException e)
        {
            _problem = "cannot read the free space of the data directory: " + e.Message;
        }
    }

    public void Dispose() => _timer.Dispose();
}
