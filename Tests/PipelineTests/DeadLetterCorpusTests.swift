import Foundation
import Kafka
import Logging
import Marts
import Pipeline
import State
import Synthea
import TestSupport
import Testing

/// Malformed messages of many kinds mixed into a real export's stream: the service stays up,
/// exactly those records reach the dead-letter topic and the quarantine (with the right
/// reasons, original key, value and headers, and context headers), and the marts equal a clean
/// run without them.
@Suite("Dead letters: a corpus of malformed messages")
struct DeadLetterCorpusTests {
    static let shared = SharedExports.path("dverma-L3c-16p")

    /// One malformed message and what the consumer must say about it.
    struct Malformed {
        var kind: String
        var message: OutgoingMessage
        var stage: String
        /// Every one must appear among the reasons.
        var expected: [String]
    }

    static func corpus(_ rows: [(Entity, [String: String])], bed: PipelineTestbed, time: Int64, random: inout SeededRandom) throws -> [Malformed] {
        func row(_ entity: Entity) -> [String: String] {
            let all = rows.filter { $0.0 == entity }
            return all[random.int(0...(all.count - 1))].1
        }
        func headers(_ entity: Entity) -> [KafkaHeader] { PipelineTestbed.cloudEvent(entity, ceTimeMs: time) }
        func json(_ object: Any) throws -> [UInt8] { Array(try JSONSerialization.data(withJSONObject: object)) }
        func raw(_ entity: Entity, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader]) -> OutgoingMessage {
            OutgoingMessage(topic: bed.topics[entity]!, partition: .explicit(Int32(random.int(0...Int(bed.partitions(of: entity) - 1)))),
                            key: key, value: value, headers: headers)
        }
        /// A real row changed by `change`, keyed by its (changed) natural key, newer than the original.
        func changed(_ entity: Entity, keepKey: Bool = true, _ change: (inout [String: String]) -> Void) throws -> OutgoingMessage {
            let original = row(entity)
            var value = original
            change(&value)
            let key = EntitySchema.of(entity).naturalKey(of: keepKey ? original : value)
            return raw(entity, key: Array(key.utf8), value: try json(value), headers: headers(entity))
        }
        func withHeaders(_ entity: Entity, _ edit: (inout [KafkaHeader]) -> Void) throws -> OutgoingMessage {
            var message = try changed(entity) { _ in }
            edit(&message.headers)
            return message
        }
        let patient = row(.patients)
        let patientKey = Array(patient["Id"]!.utf8)
        return [
            Malformed(kind: "value not JSON", message: raw(.patients, key: patientKey, value: Array(#"{"Id": "x", "#.utf8), headers: headers(.patients)),
                      stage: "decode", expected: ["value: not JSON"]),
            Malformed(kind: "empty value", message: raw(.encounters, key: Array("e".utf8), value: [], headers: headers(.encounters)),
                      stage: "decode", expected: ["value: not JSON"]),
            Malformed(kind: "value not UTF-8", message: raw(.patients, key: patientKey, value: [0x7B, 0xFF, 0xFE, 0x7D], headers: headers(.patients)),
                      stage: "decode", expected: ["value: not valid UTF-8"]),
            Malformed(kind: "null value (tombstone)", message: raw(.conditions, key: Array("a|b".utf8), value: nil, headers: headers(.conditions)),
                      stage: "decode", expected: ["value: missing (null)"]),
            Malformed(kind: "JSON array", message: raw(.medications, key: Array("m".utf8), value: try json(["a", "b"]), headers: headers(.medications)),
                      stage: "decode", expected: ["value: JSON but not an object"]),
            Malformed(kind: "non-string field", message: raw(.patients, key: patientKey,
                      value: try json((patient as [String: Any]).merging(["BIRTHDATE": 19_800_101, "LAT": 40.5]) { $1 }), headers: headers(.patients)),
                      stage: "decode", expected: ["value: fields are not strings: BIRTHDATE, LAT"]),
            Malformed(kind: "no key", message: raw(.patients, key: nil, value: try json(patient), headers: headers(.patients)),
                      stage: "decode", expected: ["key: missing"]),
            Malformed(kind: "key not UTF-8", message: raw(.patients, key: [0xC3, 0x28], value: try json(patient), headers: headers(.patients)),
                      stage: "decode", expected: ["key: not valid UTF-8"]),
            Malformed(kind: "no headers", message: raw(.patients, key: patientKey, value: try json(patient), headers: []),
                      stage: "decode", expected: ["headers: none"]),
            Malformed(kind: "unknown entity", message: try withHeaders(.encounters) { $0.append(KafkaHeader(CloudEventHeader.type, "immunizations")) },
                      stage: "decode", expected: ["header ce_type: 'immunizations' is not an entity"]),
            Malformed(kind: "entity of another topic", message: try withHeaders(.patients) { $0.append(KafkaHeader(CloudEventHeader.type, "encounters")) },
                      stage: "decode", expected: ["header ce_type: 'encounters' does not match"]),
            Malformed(kind: "CloudEvents 0.3", message: try withHeaders(.providers) { $0.append(KafkaHeader(CloudEventHeader.specVersion, "0.3")) },
                      stage: "decode", expected: ["header ce_specversion: '0.3', expected 1.0"]),
            Malformed(kind: "ce_id missing", message: try withHeaders(.organizations) { $0.removeAll { $0.name == CloudEventHeader.id } },
                      stage: "decode", expected: ["header ce_id: missing"]),
            Malformed(kind: "ce_time not an instant", message: try withHeaders(.conditions) { $0.append(KafkaHeader(CloudEventHeader.time, "yesterday")) },
                      stage: "decode", expected: ["header ce_time: 'yesterday' is not an RFC 3339 instant"]),
            Malformed(kind: "content type CSV", message: try withHeaders(.medications) { $0.append(KafkaHeader(CloudEventHeader.contentType, "text/csv")) },
                      stage: "decode", expected: ["header content-type: 'text/csv', expected application/json"]),
            Malformed(kind: "oversize value", message: raw(.patients, key: patientKey,
                      value: try json(patient.merging(["NOTES": String(repeating: "x", count: 300_000)]) { $1 }), headers: headers(.patients)),
                      stage: "decode", expected: ["bytes, over the limit of \(RecordDecoder.defaultMaxValueBytes)"]),
            Malformed(kind: "key does not match value", message: try changed(.encounters) { $0["Id"] = "not-this-encounter" },
                      stage: "staging", expected: ["does not match the natural key 'not-this-encounter'"]),
            Malformed(kind: "required field missing", message: try changed(.patients) { $0["BIRTHDATE"] = nil },
                      stage: "staging", expected: ["BIRTHDATE: required field is missing"]),
            Malformed(kind: "required field empty", message: try changed(.encounters) { $0["START"] = "" },
                      stage: "staging", expected: ["START: required field is empty"]),
            Malformed(kind: "impossible date", message: try changed(.patients) { $0["BIRTHDATE"] = "2021-02-30" },
                      stage: "staging", expected: ["BIRTHDATE: '2021-02-30' is not a valid date"]),
            Malformed(kind: "timestamp without zone", message: try changed(.encounters) { $0["START"] = "2020-01-01T10:00:00" },
                      stage: "staging", expected: ["START: '2020-01-01T10:00:00' is not a valid timestamp"]),
            Malformed(kind: "decimal with a comma", message: try changed(.encounters) { $0["TOTAL_CLAIM_COST"] = "12,50" },
                      stage: "staging", expected: ["TOTAL_CLAIM_COST: '12,50' is not a valid decimal"]),
            Malformed(kind: "integer with a point", message: try changed(.medications, keepKey: false) { $0["DISPENSES"] = "3.0" },
                      stage: "staging", expected: ["DISPENSES: '3.0' is not a valid integer"]),
            Malformed(kind: "latitude out of range", message: try changed(.organizations) { $0["LAT"] = "95.5" },
                      stage: "staging", expected: ["LAT: '95.5' is not a valid latitude"]),
            Malformed(kind: "longitude out of range", message: try changed(.providers) { $0["LON"] = "-190" },
                      stage: "staging", expected: ["LON: '-190' is not a valid longitude"]),
            Malformed(kind: "empty object", message: raw(.conditions, key: Array("|".utf8), value: try json([String: String]()), headers: headers(.conditions)),
                      stage: "staging", expected: ["START: required field is missing", "PATIENT: required field is missing", "ENCOUNTER: required field is missing"]),
            // Issue 10 item 3: a producer-supplied time far in the future would pin the key forever.
            Malformed(kind: "ce_time in the far future", message: try withHeaders(.patients) { headers in
                headers.removeAll { $0.name == CloudEventHeader.time }
                headers.append(KafkaHeader(CloudEventHeader.time, "9999-12-31T00:00:00Z"))
            }.withValue { try json($0.merging(["FIRST": "HIJACKED"]) { $1 }) },
                      stage: "decode", expected: ["is later than the message's Kafka timestamp", "is in the future"]),
            Malformed(kind: "Kafka timestamp in the future, no ce_time", message: try withHeaders(.organizations) { headers in
                headers.removeAll { $0.name == CloudEventHeader.time }
            }.withTimestamp(253_402_214_400_000),
                      stage: "decode", expected: ["Kafka timestamp: 9999-12-31T00:00:00.000Z is in the future"]),
            // Issue 10 item 6: an encounter that stops before it starts.
            Malformed(kind: "encounter stopping before it starts", message: try changed(.encounters) { $0["STOP"] = "1900-01-01T00:00:00Z" },
                      stage: "staging", expected: ["STOP: '1900-01-01T00:00:00Z' is before START"]),
            Malformed(kind: "several faults at once", message: try changed(.patients) { $0["BIRTHDATE"] = "1980-13-01"; $0["LAT"] = "north"; $0["Id"] = "other" },
                      stage: "staging", expected: ["BIRTHDATE: '1980-13-01'", "LAT: 'north'", "does not match the natural key 'other'"]),
        ]
    }

    @Test("30 kinds of malformed messages in a real export's stream: dead-lettered, quarantined, marts equal a clean run",
          .enabled(if: FileManager.default.fileExists(atPath: shared), "../shared/synthea is absent: skipped"))
    func corpusMixedIntoStream() async throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let bed = try PipelineTestbed(label: "dead-letters")
        defer { bed.removeWork() }
        let rows = try PipelineTestbed.rows(Self.shared)
        var valid = try PipelineTestbed.timedRows(Self.shared)
        let time = valid.last!.ceTimeMs
        valid.shuffle(using: &random)
        // Malformed versions of real records are newer than every valid one: validation comes
        // before deduplication, so they must not replace anything.
        let corpus = try Self.corpus(rows, bed: bed, time: time + 1_000, random: &random)
        #expect(corpus.count == 30 && Set(corpus.map(\.kind)).count == corpus.count, "30 distinct kinds, as the test's name says")

        // Interleave: each malformed message goes at a random point of the valid stream.
        let cuts = corpus.indices.map { _ in random.int(0...valid.count) }
        var positions: [String: (topic: String, partition: Int32, offset: Int64)] = [:]
        var next = 0
        for (index, cut) in cuts.enumerated().sorted(by: { $0.element < $1.element }) {
            while next < cut {
                let v = valid[next]
                try bed.publish(v.entity, v.row, ceTimeMs: v.ceTimeMs, random: &random)
                next += 1
            }
            let report = try await bed.producer.send(corpus[index].message)
            positions[corpus[index].kind] = (report.topic, report.partition, report.offset)
        }
        for v in valid[next...] {
            try bed.publish(v.entity, v.row, ceTimeMs: v.ceTimeMs, random: &random)
        }
        try bed.producer.flush(timeoutMs: 30_000)

        let statePath = "\(bed.work)/consumed.sqlite"
        let result = try bed.consumeUntilCaughtUp(statePath, batchSize: random.int(20...900))
        #expect(result.totals.read == valid.count + corpus.count, "\(context)")
        #expect(result.totals.rejected == corpus.count, "\(context)")

        // Quarantine: exactly the malformed messages, each with its stage and reasons.
        let store = try StateStore(readingExisting: statePath, migrations: MartSchema.migrations)
        let quarantined = try store.quarantined()
        #expect(quarantined.count == corpus.count, "\(context)")
        for m in corpus {
            let at = positions[m.kind]!
            guard let q = quarantined.first(where: { $0.topic == at.topic && $0.partition == at.partition && $0.offset == at.offset }) else {
                Issue.record("\(context): \(m.kind) at \(at) is not in quarantine")
                continue
            }
            #expect(q.stage.rawValue == m.stage, "\(context): \(m.kind): stage \(q.stage)")
            for reason in m.expected {
                #expect(q.reasons.contains { $0.contains(reason) }, "\(context): \(m.kind): no reason containing \"\(reason)\" in \(q.reasons)")
            }
            #expect(q.key == m.message.key && q.value == m.message.value, "\(context): \(m.kind): original key/value not kept")
        }

        // Dead-letter topic: the same records, original key, value and headers, context headers.
        let letters = try readAll(topic: bed.catalog.deadLetterTopic!.name, count: corpus.count, bed: bed)
        #expect(letters.count == corpus.count, "\(context): \(letters.count) dead letters")
        for m in corpus {
            let at = positions[m.kind]!
            guard let letter = letters.first(where: {
                $0.headers.string(named: DeadLetterHeader.topic) == at.topic
                    && $0.headers.string(named: DeadLetterHeader.partition) == String(at.partition)
                    && $0.headers.string(named: DeadLetterHeader.offset) == String(at.offset)
            }) else {
                Issue.record("\(context): \(m.kind) at \(at) is not in the dead-letter topic")
                continue
            }
            #expect(letter.key == m.message.key && letter.value == m.message.value, "\(context): \(m.kind): original key/value not kept")
            #expect(Array(letter.headers.prefix(m.message.headers.count)) == m.message.headers, "\(context): \(m.kind): original headers not kept")
            #expect(letter.headers.string(named: DeadLetterHeader.stage) == m.stage, "\(context): \(m.kind)")
            let reasons = letter.headers.filter { $0.name == DeadLetterHeader.reason }.compactMap(\.stringValue)
            for reason in m.expected {
                #expect(reasons.contains { $0.contains(reason) }, "\(context): \(m.kind): dead letter lacks \"\(reason)\" in \(reasons)")
            }
            #expect(letter.headers.string(named: DeadLetterHeader.message) == reasons.joined(separator: "\n"))
        }

        let clean = try PipelineTestbed.cleanRun(valid, path: "\(bed.work)/clean.sqlite", context: context)
        try PipelineTestbed.expectMartsEqual(store.database, clean.database, context: context)
    }

    /// Reads a topic from the beginning until `count` messages arrived (or 30 s passed).
    func readAll(topic: String, count: Int, bed: PipelineTestbed) throws -> [ConsumedMessage] {
        var configuration = ConsumerConfiguration(kafka: bed.kafka, groupID: "reader-\(UUID().uuidString)")
        configuration.autoOffsetReset = "earliest"
        let consumer = try KafkaConsumer(configuration: configuration, logger: bed.logger)
        defer { consumer.close() }
        try consumer.subscribe(topics: [topic])
        var messages: [ConsumedMessage] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while messages.count < count, ContinuousClock.now < deadline {
            messages += try consumer.poll(maxMessages: 100, timeoutMs: 200)
        }
        // Anything more would be a duplicate or a stray record.
        messages += try consumer.poll(maxMessages: 100, timeoutMs: 500)
        return messages
    }
}

private extension OutgoingMessage {
    /// The same message with its value (a JSON object of strings) rewritten.
    func withValue(_ change: ([String: String]) throws -> [UInt8]) rethrows -> OutgoingMessage {
        var copy = self
        let object = (try? JSONSerialization.jsonObject(with: Data(value ?? []))) as? [String: String] ?? [:]
        copy.value = try change(object)
        return copy
    }

    func withTimestamp(_ ms: Int64) -> OutgoingMessage {
        var copy = self
        copy.timestampMs = ms
        return copy
    }
}
