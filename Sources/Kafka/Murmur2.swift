/// Kafka's default partitioner hash (murmur2 with Kafka's seed), as Java clients and librdkafka's
/// `murmur2_random` partitioner compute it, so every client agrees on a key's partition.
public enum Murmur2 {
    public static func hash(_ data: [UInt8]) -> UInt32 {
        let seed: UInt32 = 0x9747_B28C
        let m: UInt32 = 0x5BD1_E995
        let r: UInt32 = 24
        let length = data.count
        var h = seed ^ UInt32(truncatingIfNeeded: length)
        var i = 0
        while i + 4 <= length {
            var k = UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
            i += 4
        }
        let rest = length - i
        if rest >= 3 { h ^= UInt32(data[i + 2]) << 16 }
        if rest >= 2 { h ^= UInt32(data[i + 1]) << 8 }
        if rest >= 1 {
            h ^= UInt32(data[i])
            h = h &* m
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return h
    }

    /// The partition Java's `DefaultPartitioner` picks for these key bytes.
    public static func partition(for key: [UInt8], partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0, "partition count must be positive")
        return Int32((hash(key) & 0x7FFF_FFFF) % UInt32(partitionCount))
    }
}
