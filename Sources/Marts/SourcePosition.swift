/// Where and when a record's version was ingested; orders versions of one natural key
/// (spec section 5): the greatest `ingested_at` wins, on a tie the later Kafka position.
public struct SourcePosition: Sendable, Hashable, Comparable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// `ce_time` (else the Kafka timestamp), milliseconds since the epoch.
    public var ingestedMs: Int64

    public init(topic: String, partition: Int32, offset: Int64, ingestedMs: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.ingestedMs = ingestedMs
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.ingestedMs, a.partition, a.offset) < (b.ingestedMs, b.partition, b.offset)
    }
}
