import Foundation
import Kafka
import Marts
import Staging
import Synthea

/// A raw-topic message decoded into a Synthea row with its source position, or the reasons it
/// could not be.
public enum DecodedMessage: Sendable {
    case record(entity: Entity, key: String?, value: [String: String], position: SourcePosition)
    case undecodable([String])
}

/// Decodes raw-topic messages (spec section 3): the entity comes from the topic's declaration,
/// the value must be a UTF-8 JSON object of strings, and `ingested_at` is `ce_time` (falling
/// back to the Kafka timestamp).
public struct RecordDecoder: Sendable {
    public let entities: [String: Entity]

    public init(entities: [String: Entity]) {
        self.entities = entities
    }

    /// Raw topics from the declarations under `topics/`.
    public init(catalog: TopicCatalog) throws {
        self.init(entities: Dictionary(uniqueKeysWithValues: try EntityTopics.load(catalog).map { ($0.value, $0.key) }))
    }

    public var topics: [String] { entities.keys.sorted() }

    public func decode(_ message: ConsumedMessage) -> DecodedMessage {
        var reasons: [String] = []
        guard let entity = entities[message.topic] else { return .undecodable(["topic: '\(message.topic)' is not a raw topic of any entity"]) }
        let key = message.key.flatMap { String(validating: $0, as: UTF8.self) }
        if message.key == nil { reasons.append("key: missing") } else if key == nil { reasons.append("key: not valid UTF-8") }
        var value: [String: String] = [:]
        if let bytes = message.value {
            switch Self.parseObject(bytes) {
            case .success(let object): value = object
            case .failure(let reason): reasons.append(reason.message)
            }
        } else {
            reasons.append("value: missing (null)")
        }
        if !reasons.isEmpty { return .undecodable(reasons) }
        let ingested = message.headers.string(named: CloudEventHeader.time).flatMap(Self.milliseconds) ?? message.timestampMs ?? 0
        return .record(entity: entity, key: key, value: value,
                       position: SourcePosition(topic: message.topic, partition: message.partition, offset: message.offset, ingestedMs: ingested))
    }

    /// Milliseconds since the epoch of an RFC 3339 instant with a zone.
    static func milliseconds(_ text: String) -> Int64? {
        guard let seconds = FieldParser.timestamp(text) else { return nil }
        var millis: Int64 = 0
        if let dot = text.firstIndex(of: ".") {
            let digits = text[text.index(after: dot)...].prefix { $0.isASCII && $0.isNumber }
            millis = Int64(String((digits + "000").prefix(3))) ?? 0
        }
        return seconds * 1000 + millis
    }

    struct Reason: Error { var message: String }

    /// A JSON object whose values are all strings.
    static func parseObject(_ bytes: [UInt8]) -> Result<[String: String], Reason> {
        guard String(validating: bytes, as: UTF8.self) != nil else { return .failure(Reason(message: "value: not valid UTF-8")) }
        let any: Any
        do {
            any = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            return .failure(Reason(message: "value: not JSON (\(bytes.count) bytes)"))
        }
        guard let object = any as? [String: Any] else { return .failure(Reason(message: "value: JSON but not an object")) }
        var fields: [String: String] = [:]
        var bad: [String] = []
        for (name, field) in object {
            if let text = field as? String { fields[name] = text } else { bad.append(name) }
        }
        if !bad.isEmpty { return .failure(Reason(message: "value: fields are not strings: \(bad.sorted().joined(separator: ", "))")) }
        return .success(fields)
    }
}
