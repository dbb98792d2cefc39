import Foundation
import Marts
import State
import Synthea
import TestSupport
import Testing

/// Partition-local marts (issue 14): the marts of tasks that each hold some patients' records
/// (and a reference file with organizations and providers) merge into exactly the marts of
/// one consumer of everything.
@Suite("Partition-local marts merge exactly")
struct MartMergeTests {
    /// A stable hash of a patient id (FNV-1a), so a printed seed replays the same routing.
    static func task(of patient: String, among count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in patient.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(hash % UInt64(count))
    }

    static func patient(of version: Version) -> String? {
        switch version.entity {
        case .organizations, .providers: nil
        case .patients: version.row["Id"]
        case .encounters, .conditions, .medications: version.row["PATIENT"]
        }
    }

    /// Applies `versions` in random batches.
    static func apply(_ versions: [Version], to harness: MartHarness, random: inout SeededRandom) throws {
        var index = 0
        while index < versions.count {
            let size = random.int(1...300)
            try harness.apply(versions[index..<min(versions.count, index + size)])
            index += size
        }
    }

    /// Every column of a mart, internal ones too, in grain order.
    static func rows(_ mart: MartDefinition, _ database: SQLiteDatabase) throws -> [[SQLiteValue]] {
        try database.prepare("SELECT \((mart.columns + mart.internalColumns).joined(separator: ", ")) FROM \(mart.name) ORDER BY \(mart.grain.joined(separator: ", "))").rows()
    }

    @Test("the marts of 4 patient tasks and a reference file, each fed shuffled versions, duplicates and newer versions, merge to one consumer's marts")
    func mergesExactly() throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let work = try temporaryDirectory("merge")
        defer { try? FileManager.default.removeItem(atPath: work) }
        _ = try ExportGenerator(options: GeneratorOptions(patients: 60, organizations: 6, seed: seed)).write(to: "\(work)/export")
        let base = try loadVersions("\(work)/export")
        var stream = base + DifferentialTests.newerVersions(of: base, random: &random)
        stream += stream.filter { _ in random.chance(0.08) }
        stream.shuffle(using: &random)

        let single = try MartHarness()
        try Self.apply(stream, to: single, random: &random)
        let tasks = try (0..<4).map { _ in try MartHarness() }
        let reference = try MartHarness()
        for (index, harness) in tasks.enumerated() {
            try Self.apply(stream.filter { Self.patient(of: $0).map { Self.task(of: $0, among: tasks.count) } == index }, to: harness, random: &random)
        }
        try Self.apply(stream.filter { Self.patient(of: $0) == nil }, to: reference, random: &random)
        for (index, harness) in (tasks + [reference]).enumerated() {
            #expect(try harness.verify().allSatisfy(\.matches), "\(context): task \(index) verifies")
        }
        #expect(try tasks.filter { try !$0.rows(MartCatalog.encounters).isEmpty }.count >= 3, "\(context): the patients spread over the tasks")

        let target = "\(work)/merged.sqlite"
        try MartMerge.merge((tasks + [reference]).map(\.path), into: target)
        let merged = try StateStore(readingExisting: target, migrations: MartSchema.migrations)
        defer { merged.close() }
        for mart in MartCatalog.all {
            let expected = try Self.rows(mart, single.store.database), found = try Self.rows(mart, merged.database)
            #expect(found.count == expected.count, "\(context): \(mart.name) has \(found.count) rows merged, \(expected.count) in one consumer")
            if let i = expected.indices.first(where: { $0 >= found.count || expected[$0] != found[$0] }) {
                Issue.record("\(context): \(mart.name) row \(i) differs:\n  one consumer \(expected[i])\n  merged       \(i < found.count ? "\(found[i])" : "missing")")
            }
        }
        #expect(try merged.counter(.recordsApplied) == (try tasks.reduce(0) { $0 + (try $1.store.counter(.recordsApplied)) } + (try reference.store.counter(.recordsApplied))))
        // The dashboard reads its summaries from the merged file too (a merged file has marts but
        // no current versions, so `emr verify` does not apply to it).
        for name in ReportSummaries.names {
            let sql = "SELECT * FROM \(name) ORDER BY 1, 2, 3"
            let expected = try single.store.database.prepare(sql).rows(), found = try merged.database.prepare(sql).rows()
            #expect(!expected.isEmpty && found == expected, "\(context): \(name) has \(found.count) rows merged, \(expected.count) in one consumer")
        }
    }

    @Test("inputs that share a partition, or were built with different readmission windows, are refused")
    func refusesOverlapsAndWindows() throws {
        let work = try temporaryDirectory("merge-refusals")
        defer { try? FileManager.default.removeItem(atPath: work) }
        func state(_ name: String, window: Int64, partition: Int32) throws -> String {
            let path = "\(work)/\(name).sqlite"
            let store = try StateStore(path: path, migrations: MartSchema.migrations)
            _ = try MartMaintainer(database: store.database, readmissionWindowDays: window)
            try store.inBatch { try $0.saveOffset(topic: "emr.raw.patients", partition: partition, nextOffset: 10) }
            store.close()
            return path
        }
        let a = try state("a", window: 7, partition: 1), b = try state("b", window: 7, partition: 1), c = try state("c", window: 30, partition: 2)
        #expect(throws: MartMerge.OverlapError(topic: "emr.raw.patients", partition: 1, files: [a, b])) {
            try MartMerge.merge([a, b], into: "\(work)/ab.sqlite")
        }
        #expect(throws: MartMerge.WindowMismatchError(windows: [a: 7, c: 30])) {
            try MartMerge.merge([a, c], into: "\(work)/ac.sqlite")
        }
        try MartMerge.merge([a], into: "\(work)/a-only.sqlite")
        let merged = try StateStore(readingExisting: "\(work)/a-only.sqlite", migrations: MartSchema.migrations)
        defer { merged.close() }
        #expect(try merged.storedOffsets() == ["emr.raw.patients": [1: 10]])
    }
}
