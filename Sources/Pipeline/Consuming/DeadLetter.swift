import Kafka
import State

/// Context header names of a dead letter, in the style of Kafka Connect's dead-letter reporter,
/// so existing tooling recognises them. A redelivered dead letter (publishing is at least once)
/// carries the same topic, partition and offset: those three identify the original record.
public enum DeadLetterHeader {
    public static let topic = "__connect.errors.topic"
    public static let partition = "__connect.errors.partition"
    public static let offset = "__connect.errors.offset"
    /// Which step refused the record: `decode` or `staging`.
    public static let stage = "__connect.errors.stage"
    /// All reasons, one per line.
    public static let message = "__connect.errors.exception.message"
    public static let exceptionClass = "__connect.errors.exception.class.name"
    /// The consumer group that refused it (Connect names its connector here).
    public static let consumer = "__connect.errors.connector.name"
    /// One header per reason (repeated), for tools that filter on a single reason.
    public static let reason = "emr.errors.reason"
}

/// A refused record bound for the dead-letter topic: its original key, value and headers,
/// followed by the context headers (``DeadLetterHeader``).
public struct DeadLetter: Sendable {
    public var source: ConsumedMessage
    public var stage: RefusalStage
    public var reasons: [String]

    public init(source: ConsumedMessage, stage: RefusalStage, reasons: [String]) {
        self.source = source
        self.stage = stage
        self.reasons = reasons
    }

    /// The message to publish; partitioned by the original key (random when there is none).
    public func message(topic: String, consumerGroup: String) -> OutgoingMessage {
        var headers = source.headers
        headers += [
            KafkaHeader(DeadLetterHeader.topic, source.topic),
            KafkaHeader(DeadLetterHeader.partition, String(source.partition)),
            KafkaHeader(DeadLetterHeader.offset, String(source.offset)),
            KafkaHeader(DeadLetterHeader.stage, stage.rawValue),
            KafkaHeader(DeadLetterHeader.exceptionClass, stage == .decode ? "emr.UndecodableRecord" : "emr.StagingRejected"),
            KafkaHeader(DeadLetterHeader.message, reasons.joined(separator: "\n")),
            KafkaHeader(DeadLetterHeader.consumer, consumerGroup),
        ]
        headers += reasons.map { KafkaHeader(DeadLetterHeader.reason, $0) }
        return OutgoingMessage(topic: topic, partition: .byKey, key: source.key, value: source.value, headers: headers)
    }
}
