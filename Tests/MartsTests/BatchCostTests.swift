import Foundation
@testable import Marts
import State
import Synthea
import TestSupport
import Testing

/// The work of applying a batch depends on what the batch touches, not on how much state there
/// is (issue 13's flat cost): a statement that scanned a whole current-version or mart table
/// would make it grow with the state. Measured in SQLite's virtual-machine steps, which do not
/// depend on the machine's speed.
@Suite("Batch cost does not grow with the state")
struct BatchCostTests {
    @Test("the same batch takes about the same SQLite work on a state 10 times larger")
    func flatCost() throws {
        let seed: UInt64 = 13
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cost-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try ExportGenerator(options: GeneratorOptions(patients: 400, organizations: 8, seed: seed)).write(to: directory)
        let versions = try loadVersions(directory)
        let patients = Array(Set(versions.compactMap(MartMergeTests.patient(of:)))).sorted()
        try #require(patients.count == 400, "seed \(seed)")
        // The probe, small beside both states (so that a scan of either would show): every
        // record of a patient the states have not seen, and 20 newer versions of records of
        // the 10 patients both states hold.
        let probePatients = Set(patients.prefix(1)), shared = Set(patients.dropFirst(1).prefix(10))
        let small = Set(patients.dropFirst(1).prefix(20)), large = Set(patients.dropFirst(1))
        func of(_ group: Set<String>) -> [Version] {
            versions.filter { MartMergeTests.patient(of: $0).map(group.contains) ?? true }
        }
        var random = SeededRandom(seed: seed)
        let newer = DifferentialTests.newerVersions(of: of(shared).filter { MartMergeTests.patient(of: $0) != nil }, random: &random)
            .prefix(20).map { version -> Version in
                var version = version
                version.position.ingestedMs += 1_000_000_000
                return version
            }
        let probe = of(probePatients).filter { MartMergeTests.patient(of: $0) != nil } + newer

        var steps: [Int] = []
        for group in [small, large] {
            let harness = try MartHarness()
            try harness.apply(of(group))
            _ = harness.store.database.takeVirtualMachineSteps()
            try harness.apply(probe)
            steps.append(harness.store.database.takeVirtualMachineSteps())
            #expect(try harness.verify().allSatisfy(\.matches), "seed \(seed)")
        }
        let ratio = Double(steps[1]) / Double(max(steps[0], 1))
        #expect(ratio < 1.2, "probe of \(probe.count) records: \(steps[0]) steps on \(small.count) patients, \(steps[1]) on \(large.count) (seed \(seed))")
    }
}
