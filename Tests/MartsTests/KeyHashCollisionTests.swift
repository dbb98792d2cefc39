import Foundation
import Marts
import State
import Synthea
import TestSupport
import Testing

/// Two natural keys with one ``KeyHash`` (found once outside this code, by Pollard's rho on
/// FNV-1a: MurmurHash3's finalizer after it is a bijection, so they collide in the stored hash
/// too). Every look-up by hash compares the key as well; these keys make that comparison matter.
@Suite("Natural keys that share a hash")
struct KeyHashCollisionTests {
    static let collidingKeys = ("c5bde799c2362419", "a1a9a9bf38687075")

    @Test("the two keys are different and share their hash")
    func keysCollide() {
        let (a, b) = Self.collidingKeys
        #expect(a != b)
        #expect(KeyHash.of(a) == KeyHash.of(b), "\(a) and \(b) no longer share a hash: the hash changed")
    }

    @Test("two encounters whose ids share a hash, with their conditions and medications, in random orders with duplicates and newer versions: each key stored once, each condition fact with its own encounter's class, the marts equal a clean run")
    func collidingEncounters() throws {
        let (a, b) = Self.collidingKeys
        try #require(KeyHash.of(a) == KeyHash.of(b))
        let directory = try temporaryDirectory("key-hash-collision")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let seed = DifferentialTests.seeds[0]
        _ = try ExportGenerator(options: GeneratorOptions(patients: 30, organizations: 4, seed: seed)).write(to: directory + "/export")
        var versions = try loadVersions(directory + "/export")

        // Two encounters that have conditions get the colliding ids, and different classes.
        let withConditions = Set(versions.filter { $0.entity == .conditions }.compactMap { $0.row["ENCOUNTER"] })
        let chosen = versions.filter { $0.entity == .encounters && withConditions.contains($0.key) }.prefix(2).map(\.key)
        try #require(chosen.count == 2, "seed \(seed): fewer than two encounters with conditions")
        let renamed = [chosen[0]: a, chosen[1]: b]
        let classes = [a: "inpatient", b: "wellness"]
        for index in versions.indices {
            var row = versions[index].row
            if versions[index].entity == .encounters, let id = row["Id"], let new = renamed[id] {
                row["Id"] = new
                row["ENCOUNTERCLASS"] = classes[new]
            } else if let encounter = row["ENCOUNTER"], let new = renamed[encounter] {
                row["ENCOUNTER"] = new
            }
            versions[index].row = row
        }

        try DifferentialTests.run(versions: versions, seed: seed, name: "colliding encounter ids")

        // Once more, to look inside the state file: every version in one shuffled batch.
        var random = SeededRandom(seed: seed)
        let harness = try MartHarness()
        try harness.apply(versions.shuffled(using: &random) + versions.prefix(40))
        let context = "seed \(seed) (rerun with EMR_TEST_SEED=\(seed))"
        let db = harness.store.database
        let stored = try db.prepare("SELECT natural_key, key_hash FROM current_encounters WHERE natural_key IN (?1, ?2) ORDER BY 1")
            .bind(.text(a), .text(b)).rows()
        let expected: [[SQLiteValue]] = [a, b].sorted().map { [.text($0), .integer(KeyHash.of($0))] }
        #expect(stored == expected, "\(context): each key once, under its hash: \(stored)")
        let mismatched = try db.scalar("""
            SELECT count(*) FROM fact_patient_conditions c JOIN fact_patient_encounters e ON e.encounter_id = c.encounter_id
            WHERE c.encounter_class IS NOT e.encounter_class
            """)?.int
        #expect(mismatched == 0, "\(context): condition facts with another encounter's class")
        let ofColliding = try db.prepare("SELECT count(*) FROM fact_patient_conditions WHERE encounter_id IN (?1, ?2)").bind(.text(a), .text(b)).firstValue()?.int ?? 0
        #expect(ofColliding > 0, "\(context): no condition fact of the colliding encounters")
        try DifferentialTests.expectVerified(harness, context)
    }
}
