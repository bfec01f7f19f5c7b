namespace Outpost.Store.Model;

/// <summary>One probe result: a port seen open or closed on a host. Identity is (scan, ip, port, proto).</summary>
public sealed record Finding(string Ip, int Port, string Proto, string State, int? Ttl);

/// <summary>A finding as stored: with the job that reported it and when it was first seen.</summary>
public sealed record StoredFinding(long ScanId, long JobId, Finding Finding, DateTimeOffset SeenAt);
