import Foundation
import Marts
import State
import TestSupport
import Testing

/// Commands and options that had no test (issue 16): quarantine --json with messages kcat
/// publishes, --max-value-bytes, a changed --readmission-window refused, topics list/verify,
/// and secrets absent from debug logs.
@Suite("Commands and options through the CLI", .serialized)
struct CommandCoverageTests {
    @Test("quarantine --json lists records kcat published malformed, with reasons; --max-value-bytes refuses big values unread")
    func quarantineJSON() throws {
        let work = try temporaryDirectory("quarantine")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let produced = try generateAndProduce(work, patients: 5, organizations: 2, seed: 41, broker)
        let kcat = try executableOnPath("kcat")
        let headers = ["-H", "ce_specversion=1.0", "-H", "ce_id=bad-1", "-H", "ce_source=/tests", "-H", "ce_type=patients"]
        let notJSON = try run(kcat, ["-P", "-b", broker.bootstrap, "-t", "emr.raw.patients", "-p", "0", "-k", "p-bad"] + headers, input: "{not json\n")
        #expect(notJSON.status == 0, "\(notJSON.stderr)")
        let big = "{\"Id\":\"p-big\",\"BIRTHDATE\":\"1980-01-01\",\"NOTE\":\"" + String(repeating: "x", count: 3_000) + "\"}\n"
        let bigResult = try run(kcat, ["-P", "-b", broker.bootstrap, "-t", "emr.raw.patients", "-p", "1", "-k", "p-big"] + headers, input: big)
        #expect(bigResult.status == 0, "\(bigResult.stderr)")
        let state = "\(work)/state.sqlite"
        let consumed = try emr(["consume", "--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                "--exit-when-caught-up", "--quiet-period", "1", "--max-value-bytes", "2048"])
        #expect(consumed.stdout.contains("read \(produced + 2) ") && consumed.stdout.contains("rejected 2"), "\(consumed.stdout)")
        let listing = try emr(["quarantine", "--state", state, "--json"])
        let records = listing.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(records.count == 2, "\(listing.stdout)")
        let byKey = Dictionary(uniqueKeysWithValues: records.map { ($0["key"] as? String ?? "", $0) })
        let reasons = { (key: String) in (byKey[key]?["reasons"] as? [String]) ?? [] }
        #expect(reasons("p-bad").contains { $0.contains("value: not JSON") } && byKey["p-bad"]?["topic"] as? String == "emr.raw.patients"
                && byKey["p-bad"]?["partition"] as? Int == 0 && byKey["p-bad"]?["stage"] as? String == "decode", "\(byKey["p-bad"] ?? [:])")
        #expect(reasons("p-big").contains { $0.contains("over the limit of 2048") }, "\(reasons("p-big"))")
        #expect((byKey["p-bad"]?["value"] as? String) == "{not json", "the original value is kept")
        let plain = try emr(["quarantine", "--state", state])
        #expect(plain.stdout.contains("p-bad") || plain.stdout.contains("emr.raw.patients"), "\(plain.stdout)")
    }

    @Test("an offset gap through the CLI: exit 1 naming topic/partition, stored offset and log start; --accept-gap records it and goes on")
    func offsetGap() throws {
        let work = try temporaryDirectory("gap")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        _ = try generateAndProduce(work, patients: 8, organizations: 2, seed: 43, broker)
        let state = "\(work)/state.sqlite"
        try consume(state, broker, group: "g")
        let stored = try StateStore(readingExisting: state, migrations: MartSchema.migrations).storedOffsets()["emr.raw.encounters"] ?? [:]
        let (partition, next) = try #require(stored.max { $0.value < $1.value }, "no encounters consumed")
        // The embedded broker keeps about 5 MiB per partition: 100 values of 60 KB push the log start past the stored offset.
        let filler = String(repeating: String(repeating: "x", count: 60_000) + "\n", count: 100)
        let pushed = try run(try executableOnPath("kcat"), ["-P", "-b", broker.bootstrap, "-t", "emr.raw.encounters", "-p", String(partition)], input: filler)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let base = ["consume", "--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--group", "g",
                    "--exit-when-caught-up", "--quiet-period", "1"]
        let refused = try run(try emrExecutable(), base)
        let line = refused.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(refused.status == 1 && line.contains("emr.raw.encounters/\(partition)") && line.contains("next offset \(next)")
                && line.contains("older than the log start") && line.contains("--accept-gap"), "\(refused.status): \(line)")
        #expect(try StateStore(readingExisting: state, migrations: MartSchema.migrations).acceptedGaps().isEmpty)
        try emr(base + ["--accept-gap"])
        let gaps = try StateStore(readingExisting: state, migrations: MartSchema.migrations).acceptedGaps()
        #expect(gaps.count == 1 && gaps.first?.topic == "emr.raw.encounters" && gaps.first?.partition == partition
                && gaps.first?.fromOffset == next && (gaps.first?.toOffset ?? 0) > next, "\(gaps)")
    }

    @Test("a state file built with one readmission window refuses another; topics list and verify; no secret in debug logs")
    func windowTopicsAndSecrets() throws {
        let work = try temporaryDirectory("window")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        _ = try generateAndProduce(work, patients: 5, organizations: 2, seed: 42, broker)
        let state = "\(work)/state.sqlite"
        let base = ["consume", "--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory, "--exit-when-caught-up", "--quiet-period", "1"]
        // Debug logs with a secret configured: the value never appears (librdkafka's own configuration dump included).
        let debug = try emr(base + ["--log-level", "debug", "--kafka-property", "sasl.password=hunter2-secret", "--kafka-property", "sasl.username=someone", "--kafka-property", "debug=conf"])
        #expect(!debug.stderr.contains("hunter2") && !debug.stdout.contains("hunter2"), "a secret reached the output")
        #expect(debug.stderr.contains("sasl.password = [redacted]"), "the configuration dump was not logged, so the check proves nothing")
        let refused = try run(try emrExecutable(), base + ["--readmission-window", "10"])
        #expect(refused.status == 1 && refused.stderr.contains("readmission window of 7 days, not 10"), "\(refused.stderr)")

        let catalog = try TopicCatalogNames.declared()
        let listed = try emr(["topics", "list", "--topics", topicsDirectory])
        for topic in catalog { #expect(listed.stdout.contains(topic), "topics list lacks \(topic)") }
        let verified = try emr(["topics", "verify", "--brokers", broker.bootstrap, "--topics", topicsDirectory])
        #expect(verified.status == 0, "\(verified.stderr)")
        let unreachable = try run(try emrExecutable(), ["topics", "verify", "--brokers", "127.0.0.1:1", "--topics", topicsDirectory])
        #expect(unreachable.status == 1, "\(unreachable.stderr)")
    }
}

/// Topic names declared under topics/ (read as text, independently of the Kafka module).
enum TopicCatalogNames {
    static func declared() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: topicsDirectory).filter { $0.hasSuffix(".properties") }.compactMap { file in
            try String(contentsOfFile: "\(topicsDirectory)/\(file)", encoding: .utf8).split(separator: "\n")
                .first { $0.hasPrefix("name=") }.map { String($0.dropFirst(5)).trimmingCharacters(in: .whitespaces) }
        }
    }
}
