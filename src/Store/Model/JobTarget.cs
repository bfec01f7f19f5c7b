namespace Outpost.Store.Model;

/// <summary>One target block of a job: an address block (CIDR, single IP or range) and the port list to probe on it.</summary>
public sealed record JobTarget(string Cidr, string Ports);
