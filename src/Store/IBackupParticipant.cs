namespace Outpost.Store;

/// <summary>
/// Something besides the job store that a backup must hold (such as the records database): it writes a consistent
/// copy of its files into the backup directory, under names of its own, while the daemon runs. A restore copies
/// every entry of the backup back into the data directory (docs/store-operations.md, "Backup and restore").
/// </summary>
public interface IBackupParticipant
{
    Task BackupToAsync(string directory, CancellationToken ct);
}
