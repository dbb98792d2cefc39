import Chronology
import Kafka
@testable import Pipeline
import Synthea
import TestSupport
import Testing

/// The one-pass check of CloudEvents headers against the full check, header by header: it may
/// pass a message only when the full check finds nothing wrong (with the same `ce_time`), and
/// it passes the headers producers write.
@Suite("Well-formed headers: the one-pass check")
struct WellFormedHeadersTests {
    /// Header values worth trying: right, wrong, empty, null, not UTF-8.
    static func value(_ random: inout SeededRandom, entity: Entity) -> [UInt8]? {
        let texts = ["1.0", "0.3", "1.0 ", "", entity.rawValue, random.pick(Entity.allCases).rawValue, "immunizations",
                     "2026-11-28T05:00:00.123Z", "2026-11-28T05:00:00Z", "2026-11-28T05:00:00", "2026-11-28 05:00:00+01:00",
                     "application/json", "application/json; charset=utf-8", "text/csv", "/emr-stream/facility", "é", "x"]
        switch random.int(0...9) {
        case 0: return nil
        case 1: return [0xC3, 0x28]
        case 2: return Array("ok".utf8) + [0xFF]
        default: return Array(random.pick(texts).utf8)
        }
    }

    static let names = [CloudEventHeader.specVersion, CloudEventHeader.id, CloudEventHeader.source, CloudEventHeader.type,
                        CloudEventHeader.time, CloudEventHeader.contentType, "traceparent"]

    @Test("passes only what the full check finds well-formed, with the same ce_time; passes what producers write")
    func differential() {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let decoder = RecordDecoder(entities: Dictionary(uniqueKeysWithValues: Entity.allCases.map { ("raw.\($0.rawValue)", $0) }))
        var passed = 0, wellFormed = 0
        for round in 0..<4_000 {
            let entity = random.pick(Entity.allCases)
            let time = random.int(Int64(1_600_000_000_000)...Int64(1_800_000_000_000))
            var headers = PipelineTestbed.cloudEvent(entity, ceTimeMs: time)
            if random.chance(0.3) { headers.removeLast() }  // no content type
            if random.chance(0.2) { headers.remove(at: 4) }  // no ce_time
            let pristine = random.chance(0.25)
            if !pristine {
                for _ in 0..<random.int(1...3) {
                    switch random.int(0...3) {
                    case 0 where !headers.isEmpty: headers.remove(at: random.int(0...(headers.count - 1)))
                    case 1: headers.append(KafkaHeader(random.pick(Self.names), Self.value(&random, entity: entity)))
                    case 2 where !headers.isEmpty: headers[random.int(0...(headers.count - 1))].value = Self.value(&random, entity: entity)
                    default: headers.shuffle(using: &random)
                    }
                }
            }
            let message = ConsumedMessage(topic: "raw.\(entity.rawValue)", partition: 0, offset: Int64(round), key: nil, value: nil,
                                          headers: headers, timestampMs: time)
            let full = decoder.fullHeaderReasons(message, entity: entity)
            let fast = WellFormedHeaders(headers, entity: entity)
            let shown = headers.map { "\($0.name)=\($0.value.map { String(decoding: $0, as: UTF8.self) } ?? "(null)")" }
            if let fast {
                passed += 1
                #expect(full.reasons.isEmpty, "\(context): passed in one pass, but the full check says \(full.reasons) for \(shown)")
                #expect(fast.ceTimeMs == full.ceTimeMs, "\(context): ce_time \(String(describing: fast.ceTimeMs)) vs \(String(describing: full.ceTimeMs)) for \(shown)")
            }
            if full.reasons.isEmpty {
                wellFormed += 1
                #expect(fast != nil || !headers.allSatisfy({ $0.value.map { UTF8Text.string($0) != nil } ?? true }),
                        "\(context): well-formed UTF-8 headers not passed in one pass: \(shown)")
            }
            if pristine { #expect(fast != nil, "\(context): the headers producers write were not passed: \(shown)") }
        }
        #expect(passed > 1_000 && wellFormed >= passed, "\(context): \(passed) passed in one pass, \(wellFormed) well-formed")
    }
}
