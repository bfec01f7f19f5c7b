namespace Outpost.Store.Model;

/// <summary>An open alarm. Identity is (Kind, Subject): raising it again refreshes it, clearing removes it.</summary>
public sealed record Alarm(string Kind, string Subject, string Message, DateTimeOffset RaisedAt);
