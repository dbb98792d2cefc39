import Foundation
import TestSupport
@testable import Pipeline
import Synthea
import Testing
import Chronology

@Suite("Producer loop parts")
struct ProducingTests {
    @Test("--rate spaces records evenly; --speedup follows compressed event time; the slower one wins")
    func pacing() {
        let start = ContinuousClock.now
        var byRate = Pacer(rate: 100, speedup: nil)
        #expect(byRate.delay(eventTime: nil, now: start) == .zero)
        for _ in 1..<10 { _ = byRate.delay(eventTime: nil, now: start) }
        // The 11th record is due 100 ms after the start.
        #expect(byRate.delay(eventTime: nil, now: start) == .milliseconds(100))

        var byTime = Pacer(rate: nil, speedup: 3600)  // an hour of event time per second
        #expect(byTime.delay(eventTime: 1_000_000, now: start) == .zero)
        #expect(byTime.delay(eventTime: 1_000_000 + 7200, now: start) == .seconds(2))
        #expect(byTime.delay(eventTime: 1_000_000 + 7200, now: start + .seconds(3)) == .zero)

        var both = Pacer(rate: 1, speedup: 3600)
        _ = both.delay(eventTime: 0, now: start)
        #expect(both.delay(eventTime: 1, now: start) == .seconds(1), "rate is the slower constraint here")
        #expect(both.delay(eventTime: 36_000, now: start) == .seconds(10), "event time is the slower one here")

        var none = Pacer(rate: nil, speedup: nil)
        #expect(none.delay(eventTime: 5, now: start) == .zero)
        #expect(none.delay(eventTime: 999_999, now: start) == .zero)
    }

    @Test("JSON values keep header order and escape what JSON requires")
    func jsonText() throws {
        let bytes = JSONText.object(keys: ["Id", "NAME", "NOTE"], values: ["1", "Pérez \"Q\" \\ x", "a\nb\u{1}"])
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text == #"{"Id":"1","NAME":"Pérez \"Q\" \\ x","NOTE":"a\nb\u0001"}"#)
        let decoded = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String]
        #expect(decoded == ["Id": "1", "NAME": "Pérez \"Q\" \\ x", "NOTE": "a\nb\u{1}"])
    }

    @Test("ce_time is RFC 3339 UTC with milliseconds")
    func ceTime() {
        #expect(CivilTime.formatTimestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(CivilTime.formatTimestamp(Date(timeIntervalSince1970: 1_550_398_118.042)) == "2019-02-17T10:08:38.042Z")
        #expect(CivilTime.formatTimestamp(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }
}

@Suite("ce_time read back")
struct CETimeParsingTests {
    @Test("RecordDecoder.milliseconds: whole seconds, 1 to 6 fraction digits (truncated to milliseconds), offsets; what producers write")
    func milliseconds() {
        let base: Int64 = 1_577_836_800_000  // 2020-01-01T00:00:00Z
        let cases: [(String, Int64?)] = [
            ("2020-01-01T00:00:00Z", base), ("2020-01-01T00:00:00.5Z", base + 500), ("2020-01-01T00:00:00.05Z", base + 50),
            ("2020-01-01T00:00:00.123456Z", base + 123), ("2020-01-01T01:00:00.999+01:00", base + 999),
            ("2020-01-01T00:00:00.007-00:30", base + 1_800_007), ("2020-01-01 00:00:00Z", nil), ("2020-01-01T00:00:00", nil),
        ]
        for (text, expected) in cases {
            #expect(RecordDecoder.milliseconds(text) == expected, "\(text)")
        }
        let now = Date(timeIntervalSince1970: 1_750_000_123.456)
        #expect(RecordDecoder.milliseconds(CivilTime.formatTimestamp(now)) == 1_750_000_123_456)
    }
}

extension ProducingTests {
    @Test("column positions kept from record to record give every message the key and partition of a fresh look-up, also when records of one entity come from files with columns in another order")
    func messageColumnsFollowTheHeader() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("message-columns-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try ExportGenerator(options: GeneratorOptions(patients: 12, organizations: 3, seed: 5)).write(to: "\(root)/a")
        // The same export with every file's columns reversed.
        try FileManager.default.createDirectory(atPath: "\(root)/b", withIntermediateDirectories: true)
        let a = try SyntheaExport(directory: "\(root)/a")
        for entity in Entity.allCases {
            var writer: CSVWriter?
            try a.forEachRow(entity) { row in
                if writer == nil { writer = try CSVWriter(path: "\(root)/b/\(URL(fileURLWithPath: a.path(of: entity)).lastPathComponent)", header: row.header.names.reversed()) }
                try writer!.write(row.values.reversed())
            }
            try writer?.close()
        }
        func sliced(_ directory: String) throws -> [SlicedRecord] {
            let (stream, _) = try FacilitySlicer(export: try SyntheaExport(directory: directory), options: SliceOptions()).slice()
            var out: [SlicedRecord] = []
            while let record = try stream.next() { out.append(record) }
            return out
        }
        let (first, second) = (try sliced("\(root)/a"), try sliced("\(root)/b"))
        #expect(first.count == second.count && !first.isEmpty)
        // Interleaved, so the kept positions must change with the header every record.
        let builder = RecordMessageBuilder(topics: Dictionary(uniqueKeysWithValues: Entity.allCases.map { ($0, "t.\($0.rawValue)") }))
        var columns = MessageColumns()
        var checked = 0
        for (x, y) in zip(first, second) {
            for record in [x, y] {
                let kept = builder.prepare(record, columns: &columns), fresh = builder.prepare(record)
                #expect(kept.key == fresh.key && kept.partition == fresh.partition, "\(record.entity) line \(record.line)")
                let schema = EntitySchema.of(record.entity)
                #expect(kept.key == Array(schema.naturalKey(of: record.row).utf8), "\(record.entity) line \(record.line)")
                let partitionValue = record[schema.patientColumn ?? "Id"] ?? ""
                #expect(kept.partition == .byHash(Array(partitionValue.utf8)), "\(record.entity) line \(record.line)")
                checked += 1
            }
        }
        #expect(checked == 2 * first.count)
    }
}
