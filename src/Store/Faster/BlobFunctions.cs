using FASTER.core;

namespace Outpost.Store.Faster;

/// <summary>FASTER's SpanByte value callbacks for the blob table, reading a value out as a byte array.</summary>
internal sealed class BlobFunctions : SpanByteFunctions<BlobKey, byte[], Empty>
{
    public override bool SingleReader(ref BlobKey key, ref SpanByte input, ref SpanByte value, ref byte[] dst, ref ReadInfo readInfo)
    {
        dst = value.ToByteArray();
        return true;
    }

    public override bool ConcurrentReader(ref BlobKey key, ref SpanByte input, ref SpanByte value, ref byte[] dst, ref ReadInfo readInfo) =>
        SingleReader(ref key, ref input, ref value, ref dst, ref readInfo);
}
