import CRdKafka

/// The messages of one poll, kept as librdkafka delivered them until each is converted into a
/// ``ConsumedMessage`` (``message(at:)``), so that copying keys, values and headers into Swift
/// values can happen on another thread than the one that polls. Where each message came from
/// is read at once (``origins``). Also made from messages converted already (tests, and the
/// parts of a batch split between task files).
///
/// `@unchecked Sendable`: the native messages belong to this object and are destroyed with it;
/// it holds the client until then (librdkafka's handle must outlive its messages). Reading a
/// message parses its headers in place, so each index is read by one thread at a time (the
/// consumer reads each once, on the thread that prepares it).
public final class ConsumedBatch: @unchecked Sendable {
    /// Where a message came from.
    public struct Origin: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        /// Milliseconds since the epoch, nil when the broker gave none.
        public var timestampMs: Int64?

        public init(topic: String, partition: Int32, offset: Int64, timestampMs: Int64?) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
            self.timestampMs = timestampMs
        }

        public var topicPartition: TopicPartition { TopicPartition(topic, partition) }
    }

    public let origins: [Origin]
    private let native: [UnsafeMutablePointer<rd_kafka_message_t>]
    private let converted: [ConsumedMessage]
    /// Keeps the handle alive while its messages are.
    private let client: NativeClient?

    /// Messages converted already.
    public init(_ messages: [ConsumedMessage]) {
        origins = messages.map { Origin(topic: $0.topic, partition: $0.partition, offset: $0.offset, timestampMs: $0.timestampMs) }
        converted = messages
        native = []
        client = nil
    }

    /// Takes ownership of `native` (data messages of `client`, one origin each).
    init(native: [UnsafeMutablePointer<rd_kafka_message_t>], origins: [Origin], client: NativeClient) {
        precondition(native.count == origins.count)
        self.native = native
        self.origins = origins
        converted = []
        self.client = client
    }

    deinit {
        for message in native { rd_kafka_message_destroy(message) }
    }

    public var count: Int { origins.count }
    public var isEmpty: Bool { origins.isEmpty }

    /// Message `index`, converted now if it is still librdkafka's (one thread at a time per index).
    public func message(at index: Int) -> ConsumedMessage {
        native.isEmpty ? converted[index] : MessageConversion.consumed(native[index], origin: origins[index])
    }

    /// Every message, converted.
    public func messages() -> [ConsumedMessage] {
        native.isEmpty ? converted : origins.indices.map(message(at:))
    }
}
