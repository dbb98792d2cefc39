import Foundation
import Marts
import TestSupport
import Testing

/// `emr consume --snapshot-every --snapshot-dir --snapshot-keep`: complete exports on a
/// schedule while the consumer writes.
@Suite("Scheduled snapshots")
struct ScheduledSnapshotsTests {
    @Test("snapshots every second while consuming: latest is always a complete export, K are kept, the last equals emr export")
    func scheduledSnapshots() throws {
        let work = try temporaryDirectory("scheduled")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let produced = try generateAndProduce(work, patients: 40, organizations: 3, seed: 61, broker)
        let state = "\(work)/state.sqlite", snapshots = "\(work)/snapshots"
        let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                            "--batch-size", "50", "--snapshot-every", "1s", "--snapshot-dir", snapshots,
                                            "--snapshot-keep", "2", "--snapshot-format", "jsonl", "--log-level", "info"],
                                           logs: "\(work)/consumer")
        defer { _ = consumer.exitStatus(within: 1) }
        let expected = Set(MartCatalog.all.map { "\($0.name).jsonl" } + ["manifest.json"])
        var checks = 0, seen = Set<String>()
        // Until caught up and three more snapshots: every look at latest/ finds a whole export.
        let deadline = Date().addingTimeInterval(120)
        var caughtUpAt: Set<String>?
        while Date() < deadline {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(snapshots)/latest") {
                seen.insert(target)
                let files = Set((try? FileManager.default.contentsOfDirectory(atPath: "\(snapshots)/latest")) ?? [])
                #expect(files == expected, "latest -> \(target) is not a whole export: \(files.sorted())")
                checks += 1
            }
            if caughtUpAt == nil, (try? recordsRead(state)) == produced { caughtUpAt = seen }
            if let caughtUpAt, seen.subtracting(caughtUpAt).count >= 2 { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(caughtUpAt != nil, "not caught up: \(consumer.stderr.suffix(1_000))")
        #expect(checks > 20 && seen.count >= 3, "looked \(checks) times at \(seen.count) snapshots")
        kill(consumer.process.processIdentifier, SIGTERM)
        #expect(consumer.exitStatus(within: 30) == 0, "\(consumer.stderr.suffix(1_000))")

        let kept = try FileManager.default.contentsOfDirectory(atPath: snapshots).filter(SnapshotRotation.isSnapshotName).sorted()
        #expect(kept.count == 2, "keep 2: \(kept)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(snapshots)/latest") == kept.last)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: snapshots)).contains { $0.hasPrefix(".") }, "temporary files left")
        // Taken after the catch-up: the same rows as an export of the final state.
        try emr(["export", "--state", state, "--format", "jsonl", "--out", "\(work)/final"])
        for mart in MartCatalog.all {
            let snapshot = try Data(contentsOf: URL(fileURLWithPath: "\(snapshots)/latest/\(mart.name).jsonl"))
            let final = try Data(contentsOf: URL(fileURLWithPath: "\(work)/final/\(mart.name).jsonl"))
            #expect(snapshot == final, "\(mart.name): the last snapshot differs from emr export")
        }
        #expect(consumer.stderr.contains("snapshot \(snapshots)/"), "snapshots are logged")
    }

    @Test("snapshot options: a duration with a unit, both options together, K at least 1", arguments: [
        ["--snapshot-every", "1s"],
        ["--snapshot-dir", "d"],
        ["--snapshot-every", "0s", "--snapshot-dir", "d"],
        ["--snapshot-every", "5x", "--snapshot-dir", "d"],
        ["--snapshot-every", "1m", "--snapshot-dir", "d", "--snapshot-keep", "0"],
        ["--snapshot-every", "1m", "--snapshot-dir", "", "--snapshot-keep", "3"],
    ])
    func snapshotOptions(arguments: [String]) throws {
        let result = try run(try emrExecutable(), ["consume", "--state", "s.sqlite"] + arguments)
        #expect(result.status == 2 && result.stderr.contains("--snapshot"), "\(arguments): \(result)")
    }

    @Test("snapshot names sort in time order and are recognised")
    func names() {
        #expect(SnapshotRotation.name(at: Date(timeIntervalSince1970: 1_795_635_300)) == "20261125T193500Z")
        #expect(SnapshotRotation.isSnapshotName("20261125T193500Z"))
        #expect(!SnapshotRotation.isSnapshotName("latest") && !SnapshotRotation.isSnapshotName(".latest-1-2"))
        #expect(SnapshotRotation.name(at: Date(timeIntervalSince1970: 0)) < SnapshotRotation.name(at: Date(timeIntervalSince1970: 86_400 * 400)))
    }
}
