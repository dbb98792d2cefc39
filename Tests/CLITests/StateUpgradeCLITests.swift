import Foundation
import Marts
import State
import TestSupport
import Testing

/// `emr consume` on a state file of an earlier schema upgrades it once, says so, and goes on as
/// if the file had always had this schema.
@Suite("State file upgrade through the CLI")
struct StateUpgradeCLITests {
    @Test("emr consume upgrades a schema 8 state file once, says so and how long it took, and its marts equal a new file's; a new file is not upgraded")
    func upgradeIsAnnounced() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("upgrade-cli")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let produced = try generateAndProduce(work, patients: 20, organizations: 3, seed: seed, broker)
        let fresh = "\(work)/fresh.sqlite", old = "\(work)/old.sqlite"
        let first = try consume(fresh, broker, group: "fresh")
        #expect(!first.stderr.contains("upgrad"), "\(context): a new state file is not upgraded: \(first.stderr.suffix(1_000))")

        // A state file as the previous emr made it (schema 8), before anything was applied.
        let previous = MartSchema.migrations.count - 1
        try StateStore(path: old, migrations: Array(MartSchema.migrations.prefix(previous))).close()
        #expect(try StateStore.schemaVersion(at: old) == previous)
        let upgraded = try consume(old, broker, group: "old")
        #expect(upgraded.stderr.contains("upgrading \(old) to state schema version \(MartSchema.migrations.count)"),
                "\(context): \(upgraded.stderr.suffix(1_000))")
        #expect(upgraded.stderr.contains("upgraded \(old) in "), "\(context): \(upgraded.stderr.suffix(1_000))")
        #expect(try StateStore.schemaVersion(at: old) == MartSchema.migrations.count, "\(context)")
        #expect(try recordsRead(old) == produced, "\(context)")
        try emr(["verify", "--state", old])
        try emr(["export", "--state", fresh, "--out", "\(work)/fresh-marts"])
        try emr(["export", "--state", old, "--out", "\(work)/old-marts"])
        try expectSameMartFiles("\(work)/fresh-marts", "\(work)/old-marts", context: context)

        let again = try consume(old, broker, group: "old")
        #expect(!again.stderr.contains("upgrad"), "\(context): upgraded twice: \(again.stderr.suffix(1_000))")
    }
}
