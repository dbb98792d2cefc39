import Foundation
import Kafka
import Synthea

/// CloudEvents header names of the Kafka binding (binary mode), as the spec uses them.
public enum CloudEventHeader {
    public static let specVersion = "ce_specversion"
    public static let id = "ce_id"
    public static let source = "ce_source"
    public static let type = "ce_type"
    public static let time = "ce_time"
    public static let contentType = "content-type"
}

/// Turns a sliced Synthea row into its Kafka message (spec section 3): key = natural key,
/// value = the raw row as a JSON object, CloudEvents headers, partition by patient id for
/// patient-scoped entities and by own id otherwise.
public struct RecordMessageBuilder: Sendable {
    public let topics: [Entity: String]

    public init(topics: [Entity: String]) {
        self.topics = topics
    }

    /// Builds the topic map from the declarations under `topics/`.
    public init(catalog: TopicCatalog) throws {
        self.init(topics: try EntityTopics.load(catalog))
    }

    /// The `ce_source` of a facility's producer.
    public static func source(facility: String) -> String { "/emr-stream/facilities/\(facility)" }

    /// Everything of a record's message but what is stamped when it is sent (`ce_time`, `ce_id`).
    public func prepare(_ record: SlicedRecord) -> PreparedRecord {
        let schema = EntitySchema.of(record.entity)
        let partitionColumn = schema.patientColumn.flatMap { record.header.position(of: $0) == nil ? nil : $0 } ?? "Id"
        return PreparedRecord(
            entity: record.entity, facility: record.facility, line: record.line, eventTime: record.eventTime,
            topic: topics[record.entity]!, partition: .byHash(record.joinedValues([partitionColumn])),
            key: record.joinedValues(schema.keyColumns),
            value: record.jsonObject())
    }
}

/// A record's message before it is sent: the message but for its `ce_time` and `ce_id`, and
/// what the producer loop needs of the record (pacing, counts, error messages).
public struct PreparedRecord: Sendable {
    public var entity: Entity
    public var facility: String
    /// Line of the record in its CSV file.
    public var line: Int
    public var eventTime: Int64?
    var topic: String
    var partition: PartitionChoice
    var key: [UInt8]
    var value: [UInt8]

    /// The message, stamped (headers in the spec's order), with its `ce_source` header given
    /// (senders make one per facility).
    public func message(ingestedAt: String, id: String, source: KafkaHeader) -> OutgoingMessage {
        OutgoingMessage(
            topic: topic, partition: partition, key: key, value: value,
            headers: [
                Self.specVersion, KafkaHeader(CloudEventHeader.id, id), source, Self.types[entity]!,
                KafkaHeader(CloudEventHeader.time, ingestedAt), Self.contentType,
            ]
        )
    }

    private static let specVersion = KafkaHeader(CloudEventHeader.specVersion, "1.0")
    private static let contentType = KafkaHeader(CloudEventHeader.contentType, "application/json")
    private static let types = Dictionary(uniqueKeysWithValues: Entity.allCases.map { ($0, KafkaHeader(CloudEventHeader.type, $0.rawValue)) })
}
