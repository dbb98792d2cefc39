import Foundation
import Marts
import State
import Synthea
import TestSupport
import Testing

/// The verifier itself: one tampered row of each kind of table (row-level fact, aggregate,
/// distinct dimension, dashboard summary, encounter chain number) is reported as exactly that
/// difference, and nothing else is (issue 16's first point: many tests rely on `verify`
/// finding what is wrong).
@Suite("emr verify finds a tampered row of every kind, and only that")
struct VerifierTests {
    /// A generated export applied in one state (no Kafka).
    static func harness() throws -> MartHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verifier-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try ExportGenerator(options: GeneratorOptions(patients: 25, organizations: 4, seed: 17)).write(to: directory)
        let h = try MartHarness()
        try h.apply(try loadVersions(directory))
        return h
    }

    @Test("a changed, a deleted and an added row are reported in that table with counts and examples", arguments: [
        // (table, tampering SQL, missing, unexpected)
        ("fact_patient_encounters", "UPDATE fact_patient_encounters SET total_claim_cost = '1.23' WHERE encounter_id = (SELECT max(encounter_id) FROM fact_patient_encounters)", 1, 1),
        ("fact_patient_encounters", "UPDATE fact_patient_encounters SET days_between_encounters = 0.5 WHERE encounter_id = (SELECT min(encounter_id) FROM fact_patient_encounters)", 1, 1),
        ("fact_patient_medications", "DELETE FROM fact_patient_medications WHERE patient_medication_id = (SELECT min(patient_medication_id) FROM fact_patient_medications)", 1, 0),
        ("fact_patient_encounters_by_month", "UPDATE fact_patient_encounters_by_month SET encounter_count = encounter_count + 1 WHERE (encounter_class, encounter_month) = (SELECT encounter_class, encounter_month FROM fact_patient_encounters_by_month ORDER BY 1, 2 LIMIT 1)", 1, 1),
        ("fact_patient_encounter_readmissions", "INSERT INTO fact_patient_encounter_readmissions (encounter_class, start_date, readmission_encounter_count, encounter_count) VALUES ('Nonesuch', '2001-01-01', 0, 1)", 0, 1),
        ("dim_conditions", "DELETE FROM dim_conditions WHERE condition_code = (SELECT min(condition_code) FROM dim_conditions)", 1, 0),
        ("dim_patients", "UPDATE dim_patients SET first_name = 'Tampered' WHERE patient_id = (SELECT min(patient_id) FROM dim_patients)", 1, 1),
        // The dashboard's class-day figures, hidden columns of the readmissions mart.
        ("fact_patient_encounter_readmissions", "UPDATE fact_patient_encounter_readmissions SET duration_seconds = duration_seconds + 1 WHERE (encounter_class, start_date) = (SELECT encounter_class, start_date FROM fact_patient_encounter_readmissions ORDER BY 2, 1 LIMIT 1)", 1, 1),
        ("report_patient_days", "DELETE FROM report_patient_days WHERE patient_id = (SELECT min(patient_id) FROM report_patient_days) AND start_date = (SELECT min(start_date) FROM report_patient_days WHERE patient_id = (SELECT min(patient_id) FROM report_patient_days))", 1, 0),
        ("encounter_chains", "UPDATE current_encounters SET chain_id = (SELECT max(chain_id) + 1 FROM encounter_chains) WHERE natural_key = (SELECT min(natural_key) FROM current_encounters)", 1, 1),
        // The current versions found by their key's hash: a wrong hash, a key stored twice.
        ("natural_keys", "UPDATE current_conditions SET key_hash = key_hash + 1 WHERE key_id = (SELECT min(key_id) FROM current_conditions)", 1, 0),
        ("natural_keys", "INSERT INTO current_medications (natural_key, key_hash, ingested_ms, ingested_at, source_topic, source_partition, source_offset) SELECT natural_key, key_hash, ingested_ms, ingested_at, source_topic, source_partition, source_offset FROM current_medications WHERE key_id = (SELECT min(key_id) FROM current_medications)", 0, 1),
    ] as [(String, String, Int, Int)])
    func tamperedRow(table: String, tampering: String, missing: Int, unexpected: Int) throws {
        let h = try Self.harness()
        let before = try h.verify()
        #expect(before.filter { !$0.matches }.isEmpty, "the untouched state must verify: \(before.filter { !$0.matches })")
        #expect(before.count == MartCatalog.all.count + ReportSummaries.names.count + 2, "every mart, summary, the encounter chains and the natural keys are compared")
        try h.store.database.execute(tampering)
        #expect(h.store.database.changes == 1, "the tampering must change exactly one row")
        let after = try h.verify()
        let differing = after.filter { !$0.matches }
        #expect(differing.map(\.mart) == [table], "\(table): differing \(differing.map(\.mart))")
        let result = try #require(after.first { $0.mart == table })
        #expect(result.missing == missing && result.unexpected == unexpected, "\(table): missing \(result.missing), unexpected \(result.unexpected)")
        #expect(result.examples.count == missing + unexpected && !result.examples.isEmpty, "\(table): examples \(result.examples)")
    }
}
