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

    public func message(for record: SlicedRecord, ingestedAt: String, id: String) -> OutgoingMessage {
        let schema = EntitySchema.of(record.entity)
        let partitionKey = schema.patientColumn.flatMap { record.row[$0] } ?? record.row["Id"] ?? ""
        return OutgoingMessage(
            topic: topics[record.entity]!,
            partition: .byHash(Array(partitionKey.utf8)),
            key: Array(schema.naturalKey(of: record.row).utf8),
            value: JSONText.object(keys: record.row.header.jsonKeys, values: record.row.values),
            headers: [
                KafkaHeader(CloudEventHeader.specVersion, "1.0"),
                KafkaHeader(CloudEventHeader.id, id),
                KafkaHeader(CloudEventHeader.source, Self.source(facility: record.facility)),
                KafkaHeader(CloudEventHeader.type, record.entity.rawValue),
                KafkaHeader(CloudEventHeader.time, ingestedAt),
                KafkaHeader(CloudEventHeader.contentType, "application/json"),
            ]
        )
    }
}
