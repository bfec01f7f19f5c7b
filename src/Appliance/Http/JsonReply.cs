using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Metadata;

namespace Outpost.Appliance.Http;

/// <summary>
/// <c>200</c> with a JSON body, written with the source-generated serializer it is given: in OpenAPI the same as
/// <c>Ok&lt;T&gt;</c>. A reply that never changes (<see cref="JsonReply.Encoded"/>, e.g. <c>{"ok":true}</c>) is serialized once
/// and sent as its bytes with a <c>Content-Length</c>.
///
/// HOT PATH: the scanner protocol's replies. <c>Ok&lt;T&gt;</c> looks up the JSON options in the request's services,
/// resolves the type's serializer, serializes into a rented writer and sends the body chunked, on every request; in a
/// CPU profile of <c>outpost-bench api</c> that was 2 % of the daemon's samples, and nearly every protocol reply is one
/// of five constant bodies (docs/performance.md, "Where the rest goes").
/// </summary>
public sealed class JsonReply<T> : IResult, IEndpointMetadataProvider
{
    private const string ContentType = "application/json; charset=utf-8";

    private readonly T _value;
    private readonly JsonTypeInfo<T> _type;
    private readonly byte[]? _encoded;

    public JsonReply(T value, JsonTypeInfo<T> type)
    {
        _value = value;
        _type = type;
    }

    internal JsonReply(T value, JsonTypeInfo<T> type, byte[] encoded)
        : this(value, type) => _encoded = encoded;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (_encoded is not { } bytes)
        {
            return response.WriteAsJsonAsync(_value, _type, ContentType);
        }

        response.ContentType = ContentType;
        response.ContentLength = bytes.Length;
        var written = response.BodyWriter.WriteAsync(bytes);
        return written.IsCompletedSuccessfully ? Task.CompletedTask : written.AsTask();
    }

    [SuppressMessage("Design", "CA1000", Justification = "IEndpointMetadataProvider's member is static by definition.")]
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["application/json"]));
}

/// <summary>Builds the replies of <see cref="JsonReply{T}"/> that are serialized once.</summary>
public static class JsonReply
{
    /// <summary>A reply serialized once, here, for a value that is the same on every request.</summary>
    public static JsonReply<T> Encoded<T>(T value, JsonTypeInfo<T> type) => new(value, type, JsonSerializer.SerializeToUtf8Bytes(value, type));
}
