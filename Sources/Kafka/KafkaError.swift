import CRdKafka

/// An error from the Kafka layer: a librdkafka error code with its name and a readable message,
/// plus where it happened when that is known (topic, partition, offset).
public struct KafkaError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What went wrong, grouped the way callers act on it.
    public enum Kind: Sendable, Equatable {
        /// A configuration property was rejected (name and value are in the message).
        case configuration
        /// A client (producer, consumer, admin) could not be created.
        case clientCreation
        /// A message could not be enqueued or was not delivered.
        case delivery
        /// Flush timed out with messages still in flight.
        case flushTimeout
        /// The consumer failed while polling, assigning or committing.
        case consumer
        /// The stored offset is outside the partition's log (retention deleted it).
        case offsetOutOfRange
        /// A topic could not be created or does not match its declaration.
        case topic
        /// A cluster-level request (metadata, watermarks) failed.
        case cluster
        /// A fatal client error: the client must be recreated.
        case fatal
        /// The embedded broker could not be started or changed.
        case embeddedBroker
    }

    public var kind: Kind
    /// librdkafka's error code (`rd_kafka_resp_err_t`), 0 when the error did not come from librdkafka.
    public var code: Int32
    public var message: String
    /// The partition and offset the error is about, when it is about one (out of range).
    public var topicPartition: TopicPartition?
    public var offset: Int64?

    public init(_ kind: Kind, code: Int32 = 0, message: String, topicPartition: TopicPartition? = nil, offset: Int64? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.topicPartition = topicPartition
        self.offset = offset
    }

    init(_ kind: Kind, _ err: rd_kafka_resp_err_t, _ context: String) {
        self.init(kind, code: err.rawValue, message: "\(context): \(KafkaError.describe(err))")
    }

    /// librdkafka's name and text for an error code, e.g. `_QUEUE_FULL (Local: Queue full)`.
    static func describe(_ err: rd_kafka_resp_err_t) -> String {
        let name = String(cString: rd_kafka_err2name(err))
        let text = String(cString: rd_kafka_err2str(err))
        return "\(name) (\(text))"
    }

    /// Whether librdkafka reports the code as "no error".
    public var isNoError: Bool { code == RD_KAFKA_RESP_ERR_NO_ERROR.rawValue }

    public var description: String { message }
}

extension rd_kafka_resp_err_t {
    var isError: Bool { self != RD_KAFKA_RESP_ERR_NO_ERROR }
}

extension String {
    /// Text of a NUL-terminated C buffer filled in by librdkafka.
    init(cBuffer buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
