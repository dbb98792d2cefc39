import Foundation
import Marts
import State
import TestSupport
import Testing

/// `emr export --format jsonl|sqlite` against the CSV export, and `emr snapshot` taken while a
/// consumer writes, then resumed (issue 15, first steps).
@Suite("Export formats and state snapshots", .serialized)
struct ExportFormatsTests {
    @Test("JSON Lines and SQLite exports hold the CSV export's rows and values; the SQLite export is typed, keyed by the grain, with the manifest")
    func formatsRoundTrip() throws {
        let work = try temporaryDirectory("formats")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        _ = try generateAndProduce(work, patients: 25, organizations: 3, seed: 51, broker)
        let state = "\(work)/state.sqlite"
        try consume(state, broker, group: "g")
        for format in ["csv", "jsonl", "sqlite"] { try emr(["export", "--state", state, "--format", format, "--out", "\(work)/\(format)"]) }
        let exported = try SQLiteDatabase(path: "\(work)/sqlite/marts.sqlite", readOnly: true)
        defer { exported.close() }
        for mart in MartCatalog.all {
            let csv = try CSVRows.parse(Data(contentsOf: URL(fileURLWithPath: "\(work)/csv/\(mart.name).csv")))
            let body = Array(csv.dropFirst())
            // JSON Lines: keys in column order, values as the CSV writes them.
            let lines = try String(contentsOfFile: "\(work)/jsonl/\(mart.name).jsonl", encoding: .utf8).split(separator: "\n")
            #expect(lines.count == body.count, "\(mart.name): \(lines.count) lines, \(body.count) CSV rows")
            for (line, fields) in zip(lines, body) {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(Set(object.keys) == Set(mart.columns), "\(mart.name): keys")
                let order = mart.columns.compactMap { line.range(of: "\"\($0)\":")?.lowerBound }
                #expect(order == order.sorted(), "\(mart.name): keys not in column order")
                for (column, field) in zip(mart.columns, fields) where !JSONValues.same(object[column] is NSNull ? nil : object[column], field) {
                    Issue.record("\(mart.name).\(column): jsonl \(String(describing: object[column])) vs csv '\(field)'")
                    break
                }
            }
            // SQLite: the same rows formatted as the CSV writes them, grain as primary key.
            let rows = try exported.prepare("SELECT \(mart.columns.joined(separator: ", ")) FROM \(mart.name) ORDER BY \(mart.grain.joined(separator: ", "))").rows()
            #expect(rows.map { $0.map(MartExporter.field) } == body, "\(mart.name): SQLite rows differ from the CSV")
            let keys = try exported.prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk").bind(.text(mart.name)).rows().compactMap { $0[0].text }
            #expect(keys == mart.grain, "\(mart.name): primary key \(keys)")
        }
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(work)/csv/manifest.json"))) as? [String: Any])
        let offsets = (manifest["offsets"] as? [[String: Any]] ?? []).map { "\($0["topic"]!)/\($0["partition"]!)=\($0["next_offset"]!)" }.sorted()
        let stored = try exported.prepare("SELECT topic, partition, next_offset FROM manifest_offsets").rows().map { "\($0[0].text!)/\($0[1].int!)=\($0[2].int!)" }.sorted()
        #expect(!offsets.isEmpty && stored == offsets, "manifest offsets: \(stored) vs \(offsets)")
        #expect(try exported.scalar("SELECT value FROM manifest WHERE name = 'format'")?.text == "sqlite")
        for format in ["jsonl", "sqlite"] {
            let m = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(work)/\(format)/manifest.json"))) as? [String: Any]
            #expect(m?["format"] as? String == format)
        }
    }

    @Test("a snapshot taken while the consumer writes is a consistent state: resumed, it reaches exactly the original's marts")
    func snapshotWhileWritingThenResume() throws {
        let work = try temporaryDirectory("snapshot")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        try emr(["generate", "--out", "\(work)/export", "--patients", "60", "--organizations", "5", "--seed", "52"])
        let producer = Process()
        producer.executableURL = try emrExecutable()
        producer.arguments = ["produce", "--export", "\(work)/export", "--all-facilities", "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--rate", "1500"]
        let out = Pipe()
        producer.standardOutput = out
        producer.standardError = FileHandle.nullDevice
        try producer.run()
        let state = "\(work)/state.sqlite", copy = "\(work)/backup.sqlite"
        let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--group", "original",
                                            "--batch-size", "100"], logs: "\(work)/consumer")
        #expect(consumer.wait(seconds: 60) { ((try? recordsRead(state)) ?? 0) > 500 }, "\(consumer.stderr.suffix(1_000))")
        try emr(["snapshot", "--state", state, "--out", copy])
        let atSnapshot = try recordsRead(copy)
        #expect(try run(try emrExecutable(), ["snapshot", "--state", state, "--out", copy]).status == 1, "an existing copy is not replaced without --force")
        producer.waitUntilExit()
        let produced = Int64(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).firstMatch(of: /produced (\d+) records/).map { Int($0.1)! } ?? 0)
        #expect(producer.terminationStatus == 0 && produced > 0)
        #expect(consumer.wait(seconds: 120) { ((try? recordsRead(state)) ?? 0) == produced }, "original never caught up")
        kill(consumer.process.processIdentifier, SIGTERM)
        #expect(consumer.exitStatus(within: 15) == 0)
        #expect(atSnapshot > 0 && atSnapshot < produced, "the snapshot was taken mid-stream (\(atSnapshot) of \(produced))")

        // Resumed from the copy (its own group): exactly the rest, and the same marts.
        let resumed = try emr(["consume", "--state", copy, "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--group", "restore",
                               "--exit-when-caught-up", "--quiet-period", "1"])
        #expect(resumed.stdout.contains("read \(produced - atSnapshot) "), "\(resumed.stdout)")
        #expect(try recordsRead(copy) == produced)
        try emr(["verify", "--state", copy])
        try emr(["export", "--state", state, "--out", "\(work)/original"])
        try emr(["export", "--state", copy, "--out", "\(work)/restored"])
        for mart in MartCatalog.all {
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(work)/original/\(mart.name).csv")) == Data(contentsOf: URL(fileURLWithPath: "\(work)/restored/\(mart.name).csv")),
                    "\(mart.name) differs after restoring the snapshot")
        }
    }
}
