import Foundation
@testable import Marts
import State
import Synthea
import TestSupport
import Testing

/// What the maintainer keeps in memory between batches (chain numbers, the keys that may be
/// stored) must not outlive a batch that rolled back: its rows are gone, and their numbers go
/// to other rows next.
@Suite("A rolled-back batch leaves nothing behind in memory")
struct RolledBackBatchTests {
    @Test("encounters of a rolled-back batch, applied again after others took their chain numbers, get their own chains")
    func chainNumbersAfterRollback() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rollback-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try ExportGenerator(options: GeneratorOptions(patients: 30, organizations: 4, seed: seed)).write(to: directory)
        let versions = try loadVersions(directory)
        let patients = Array(Set(versions.compactMap(MartMergeTests.patient(of:)))).sorted()
        let (first, second) = (Set(patients.prefix(15)), Set(patients.dropFirst(15)))
        let shared = versions.filter { MartMergeTests.patient(of: $0) == nil || $0.entity == .patients }
        func records(of group: Set<String>) -> [Version] {
            versions.filter { $0.entity != .patients && MartMergeTests.patient(of: $0).map(group.contains) == true }
        }

        let harness = try MartHarness()
        try harness.apply(shared)
        // The first group's records in a batch that fails before COMMIT...
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try harness.store.inBatch { _ in
                try harness.maintainer.batch {
                    for version in records(of: first) { try harness.maintainer.apply(try version.staged(), at: version.position) }
                    try harness.maintainer.flush()
                    throw Abort()
                }
            }
        }
        // ...then the second group's (the chain numbers the first had are given again), then
        // the first group's again.
        try harness.apply(records(of: second))
        try harness.apply(records(of: first))
        let differences = try harness.verify().filter { !$0.matches }
        #expect(differences.isEmpty, "\(differences.map(\.mart)) (seed \(seed))")
        let encounters = try harness.store.database.scalar("SELECT count(*) FROM current_encounters")?.int
        #expect(encounters == Int64(versions.filter { $0.entity == .encounters }.count), "seed \(seed)")
    }
}
