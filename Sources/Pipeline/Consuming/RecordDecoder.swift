import Chronology
import Foundation
import Kafka
import Marts
import Staging
import Synthea

/// A raw-topic message decoded into a Synthea row with its source position, or the reasons it
/// could not be.
public enum DecodedMessage: Sendable {
    case record(key: String?, value: RawRow, position: SourcePosition)
    case undecodable([String])
}

/// Decodes raw-topic messages (spec section 3): the entity comes from the topic's declaration,
/// the message must be a CloudEvent (binary mode: `ce_specversion` 1.0, `ce_id`, `ce_source`,
/// `ce_type` naming the topic's entity; `ce_time`, when present, an RFC 3339 instant), the
/// value a UTF-8 JSON object of strings no larger than ``maxValueBytes``, and `ingested_at` is
/// `ce_time` (falling back to the Kafka timestamp). Every reason is listed, each naming the
/// header, key or value it is about.
public struct RecordDecoder: Sendable {
    public let entities: [String: Entity]
    /// Values above this size are refused unread (a Synthea row is a few hundred bytes).
    public var maxValueBytes: Int

    /// How far `ingested_at` may lie ahead of the message's Kafka timestamp, and either of
    /// them ahead of this consumer's clock, before the record is refused as implausible (spec
    /// section 3): a producer clock or a hostile message in the far future would otherwise pin
    /// its key's version forever.
    public var maxClockSkewMs: Int64

    public static let defaultMaxValueBytes = 256 * 1024
    public static let defaultMaxClockSkewMs: Int64 = 5 * 60 * 1000

    public init(entities: [String: Entity], maxValueBytes: Int = RecordDecoder.defaultMaxValueBytes,
                maxClockSkewMs: Int64 = RecordDecoder.defaultMaxClockSkewMs) {
        self.entities = entities
        self.maxValueBytes = maxValueBytes
        self.maxClockSkewMs = maxClockSkewMs
    }

    /// Raw topics from the declarations under `topics/`.
    public init(catalog: TopicCatalog, maxValueBytes: Int = RecordDecoder.defaultMaxValueBytes,
                maxClockSkewMs: Int64 = RecordDecoder.defaultMaxClockSkewMs) throws {
        self.init(entities: Dictionary(uniqueKeysWithValues: try EntityTopics.load(catalog).map { ($0.value, $0.key) }),
                  maxValueBytes: maxValueBytes, maxClockSkewMs: maxClockSkewMs)
    }

    public var topics: [String] { entities.keys.sorted() }
    /// The raw topics of patient-scoped entities, which must be co-partitioned.
    public var patientScopedTopics: [String] { entities.filter { $0.value.isPatientScoped }.keys.sorted() }

    /// `nowMs`: this consumer's clock (milliseconds since the epoch), for the future check.
    public func decode(_ message: ConsumedMessage, nowMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> DecodedMessage {
        guard let entity = entities[message.topic] else { return .undecodable(["topic: '\(message.topic)' is not a raw topic of any entity"]) }
        var (reasons, ceTime) = headerReasons(message, entity: entity)
        let key = message.key.flatMap(UTF8Text.string)
        if message.key == nil { reasons.append("key: missing") } else if key == nil { reasons.append("key: not valid UTF-8") }
        var value = RawRow(entity)
        if let bytes = message.value {
            if bytes.count > maxValueBytes {
                reasons.append("value: \(bytes.count) bytes, over the limit of \(maxValueBytes)")
            } else {
                switch Self.parseObject(bytes, as: entity) {
                case .success(let object): value = object
                case .failure(let reason): reasons.append(reason.message)
                }
            }
        } else {
            reasons.append("value: missing (null)")
        }
        reasons += timeReasons(ceTimeMs: ceTime, kafkaTimestampMs: message.timestampMs, nowMs: nowMs)
        if !reasons.isEmpty { return .undecodable(reasons) }
        let ingested = ceTime ?? message.timestampMs ?? 0
        return .record(key: key, value: value,
                       position: SourcePosition(topic: message.topic, partition: message.partition, offset: message.offset, ingestedMs: ingested))
    }

    /// What is wrong with the CloudEvents headers, if anything, and `ce_time` in milliseconds
    /// (nil when absent or invalid; read once per message).
    func headerReasons(_ message: ConsumedMessage, entity: Entity) -> (reasons: [String], ceTimeMs: Int64?) {
        if let wellFormed = WellFormedHeaders(message.headers, entity: entity) { return ([], wellFormed.ceTimeMs) }
        return fullHeaderReasons(message, entity: entity)
    }

    /// ``headerReasons(_:entity:)`` header by header, naming each problem.
    func fullHeaderReasons(_ message: ConsumedMessage, entity: Entity) -> (reasons: [String], ceTimeMs: Int64?) {
        let headers = message.headers
        if headers.isEmpty {
            return (["headers: none (a CloudEvent needs \(CloudEventHeader.specVersion), \(CloudEventHeader.id), \(CloudEventHeader.source), \(CloudEventHeader.type))"], nil)
        }
        var reasons: [String] = []
        for name in [CloudEventHeader.specVersion, CloudEventHeader.id, CloudEventHeader.source, CloudEventHeader.type] {
            guard let header = headers.last(where: { $0.name == name }) else {
                reasons.append("header \(name): missing")
                continue
            }
            guard let text = header.stringValue, !text.isEmpty else {
                reasons.append("header \(name): \(header.value == nil ? "null" : header.value!.isEmpty ? "empty" : "not valid UTF-8")")
                continue
            }
            switch name {
            case CloudEventHeader.specVersion where text != "1.0":
                reasons.append("header \(name): '\(text.prefix(32))', expected 1.0")
            case CloudEventHeader.type where Entity(rawValue: text) == nil:
                reasons.append("header \(name): '\(text.prefix(64))' is not an entity (expected \(entity.rawValue))")
            case CloudEventHeader.type where text != entity.rawValue:
                reasons.append("header \(name): '\(text)' does not match \(message.topic), the topic of \(entity.rawValue)")
            default:
                break
            }
        }
        var ceTimeMs: Int64?
        if let header = headers.last(where: { $0.name == CloudEventHeader.time }) {
            if let text = header.stringValue {
                ceTimeMs = Self.milliseconds(text)
                if ceTimeMs == nil { reasons.append("header \(CloudEventHeader.time): '\(text.prefix(64))' is not an RFC 3339 instant with a zone") }
            } else {
                reasons.append("header \(CloudEventHeader.time): \(header.value == nil ? "null" : "not valid UTF-8")")
            }
        }
        if let type = headers.string(named: CloudEventHeader.contentType), !type.hasPrefix("application/json") {
            reasons.append("header \(CloudEventHeader.contentType): '\(type.prefix(64))', expected application/json")
        }
        return (reasons, ceTimeMs)
    }

    /// Times implausibly far in the future (beyond ``maxClockSkewMs``).
    func timeReasons(ceTimeMs: Int64?, kafkaTimestampMs: Int64?, nowMs: Int64) -> [String] {
        var reasons: [String] = []
        var tolerance: String { "the clock-skew tolerance of \(maxClockSkewMs / 1000) s" }
        func instant(_ ms: Int64) -> String { CivilTime.formatTimestamp(milliseconds: ms) }
        if let ce = ceTimeMs, let kafka = kafkaTimestampMs, kafka > 0, ce > kafka + maxClockSkewMs {
            reasons.append("header \(CloudEventHeader.time): \(instant(ce)) is later than the message's Kafka timestamp \(instant(kafka)) by more than \(tolerance)")
        }
        if let ce = ceTimeMs, ce > nowMs + maxClockSkewMs {
            reasons.append("header \(CloudEventHeader.time): \(instant(ce)) is in the future (this consumer's clock: \(instant(nowMs)); \(tolerance))")
        }
        if let kafka = kafkaTimestampMs, kafka > nowMs + maxClockSkewMs {
            reasons.append("Kafka timestamp: \(instant(kafka)) is in the future (this consumer's clock: \(instant(nowMs)); \(tolerance))")
        }
        return reasons
    }

    /// Milliseconds since the epoch of an RFC 3339 instant with a zone.
    static func milliseconds(_ text: String) -> Int64? {
        guard let seconds = CivilTime.parseInstant(text) else { return nil }
        // The first three digits after the point (bytes, not Characters: this runs per message).
        var millis: Int64 = 0
        let utf8 = text.utf8
        if let dot = utf8.firstIndex(of: UInt8(ascii: ".")) {
            var taken = 0
            for byte in utf8[utf8.index(after: dot)...] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), taken < 3 else { break }
                millis = millis * 10 + Int64(byte - UInt8(ascii: "0"))
                taken += 1
            }
            for _ in taken..<3 { millis *= 10 }
        }
        return seconds * 1000 + millis
    }

    struct Reason: Error { var message: String }

    /// A JSON object whose values are all strings, as a row of `entity`.
    static func parseObject(_ bytes: [UInt8], as entity: Entity) -> Result<RawRow, Reason> {
        // The shape producers write, in one pass; anything else goes to the full parser below.
        if let row = FlatJSONObject.parse(bytes, as: entity) { return .success(row) }
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
        return .success(RawRow(entity, fields))
    }
}

extension RecordDecoder {
    /// The task (``TaskFiles``) of a partition with `--state-dir`: partition p of the
    /// patient-scoped topics is `patients-p`, of the reference topics `reference-p`.
    func task(of tp: TopicPartition) -> String {
        TaskFiles.name(patientScoped: entities[tp.topic]?.isPatientScoped ?? true, partition: tp.partition)
    }
}
