import Foundation

/// A topic and partition.
public struct TopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }

    public var description: String { "\(topic)/\(partition)" }
}

/// One Kafka record header. Kafka allows repeated names and null values.
public struct KafkaHeader: Sendable, Hashable {
    public var name: String
    public var value: [UInt8]?

    public init(_ name: String, _ value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.init(name, Array(value.utf8))
    }

    /// The value as UTF-8 text, or nil when null or not valid UTF-8.
    public var stringValue: String? {
        value.flatMap(UTF8Text.string)
    }
}

extension Array where Element == KafkaHeader {
    /// The last value of the named header as text (Kafka convention: the last one wins).
    public func string(named name: String) -> String? {
        last { $0.name == name }?.stringValue
    }
}

/// How a produced message picks its partition.
public enum PartitionChoice: Sendable, Hashable {
    /// librdkafka's configured partitioner over the message key (murmur2, as Java clients do).
    case byKey
    /// murmur2 of these bytes, modulo the topic's partition count (Java-compatible), e.g. a
    /// patient id for records whose own key is something else.
    case byHash([UInt8])
    /// Exactly this partition.
    case explicit(Int32)
}

/// A message to produce.
public struct OutgoingMessage: Sendable {
    public var topic: String
    public var partition: PartitionChoice
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch; nil lets the client stamp it.
    public var timestampMs: Int64?

    public init(
        topic: String,
        partition: PartitionChoice = .byKey,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [KafkaHeader] = [],
        timestampMs: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMs = timestampMs
    }

    public init(topic: String, partition: PartitionChoice = .byKey, key: String?, value: String?, headers: [KafkaHeader] = []) {
        self.init(topic: topic, partition: partition, key: key.map { Array($0.utf8) }, value: value.map { Array($0.utf8) }, headers: headers)
    }
}

/// A message read from Kafka, with where it came from.
public struct ConsumedMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch, nil when the broker gave none.
    public var timestampMs: Int64?

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader], timestampMs: Int64?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMs = timestampMs
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }
    public var keyString: String? { key.flatMap(UTF8Text.string) }
    public var valueString: String? { value.flatMap(UTF8Text.string) }
    /// `topic/partition@offset`, for error messages.
    public var position: String { "\(topic)/\(partition)@\(offset)" }
}

/// The outcome of one produced message.
public struct DeliveryReport: Sendable {
    public var topic: String
    public var partition: Int32
    /// The offset the broker assigned; -1 when delivery failed.
    public var offset: Int64
    public var error: KafkaError?
    public var isDelivered: Bool { error == nil }
}

/// Low and high watermark of a partition: the first offset still in the log and the offset the
/// next message will get.
public struct Watermarks: Sendable, Hashable {
    public var low: Int64
    public var high: Int64
}
