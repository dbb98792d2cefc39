import Staging
import State
import Synthea

/// A failure in the marts layer, with a one-line message.
public struct MartError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Keeps the current-version tables and every mart up to date, one staged record at a time,
/// inside the caller's transaction (spec sections 5 to 7).
///
/// A record older than (or equal to) the stored version of its key changes nothing. A newer
/// one first retracts the stored contributions of everything that depends on it (its own fact
/// row, the next encounters in its previous-encounter chain, the conditions of an encounter,
/// every fact of a patient whose birth date changed or who just arrived), replaces the current
/// version, and applies them again from the current tables. Aggregates move by counted deltas
/// (counts, exact-decimal sums, reference counts), so the work per record is proportional to
/// what depends on it, never to the whole state.
public final class MartMaintainer {
    public let database: SQLiteDatabase
    public let readmissionWindowDays: Int64
    private let versions: CurrentVersionStore

    /// The outcome of one record.
    public enum Outcome: Sendable, Equatable {
        /// It became the current version of its key.
        case applied
        /// An equal or newer version is already current (redelivery, replay, older version).
        case stale
    }

    /// Fixes the readmission window on first use; a state file built with another window is refused.
    public init(database: SQLiteDatabase, readmissionWindowDays: Int64 = 7) throws {
        self.database = database
        self.readmissionWindowDays = readmissionWindowDays
        self.versions = CurrentVersionStore(database: database)
        let stored = try Self.storedWindow(database)
        if let stored, stored != readmissionWindowDays {
            throw MartError("\(database.path): the marts were built with a readmission window of \(stored) days, not \(readmissionWindowDays); use a new state file to change it")
        }
        if stored == nil {
            try database.transaction {
                try database.prepare("INSERT OR IGNORE INTO mart_settings (name, value) VALUES ('readmission_window_days', ?1)")
                    .bind(.text(String(readmissionWindowDays))).run()
            }
        }
    }

    static func storedWindow(_ database: SQLiteDatabase) throws -> Int64? {
        try database.prepare("SELECT value FROM mart_settings WHERE name = 'readmission_window_days'").rows().first?.first?.text.flatMap { Int64($0) }
    }

    /// Makes `record` current if it is newer than the stored version, updating every mart.
    @discardableResult
    public func apply(_ record: StagedRecord, at position: SourcePosition) throws -> Outcome {
        let key = record.naturalKey
        if let current = try versions.position(of: record.entity, key: key), position <= current { return .stale }
        switch record.entity {
        case .organizations:
            try versions.write(record, at: position)
            try database.prepare(Self.replaceOrganization).bind(.text(key)).run()
        case .providers:
            try versions.write(record, at: position)
            try database.prepare(Self.replaceProvider).bind(.text(key)).run()
        case .patients:
            let oldBirth = try database.prepare("SELECT birth_date FROM current_patients WHERE natural_key = ?1").bind(.text(key)).rows().first?.first
            let newBirth = CurrentVersionStore.sqlValue(record.fields["birth_date"])
            let affected = oldBirth == newBirth ? Dependents() : try dependents(ofPatient: key)
            try retract(affected)
            try versions.write(record, at: position)
            try database.prepare(Self.replacePatient).bind(.text(key)).run()
            try applyFacts(affected)
        case .encounters:
            var affected = Dependents(encounters: [key], conditions: try keys("SELECT natural_key FROM current_conditions WHERE encounter_id = ?1", key))
            if let old = try chainPosition(ofEncounter: key) { affected.encounters.formUnion(try nextInChain(old)) }
            try retract(affected)
            try versions.write(record, at: position)
            if let new = try chainPosition(ofEncounter: key) {
                let moved = try nextInChain(new).subtracting(affected.encounters)
                try retract(Dependents(encounters: moved))
                affected.encounters.formUnion(moved)
            }
            try applyFacts(affected)
        case .conditions:
            let affected = Dependents(conditions: [key])
            try retract(affected)
            try versions.write(record, at: position)
            try applyFacts(affected)
        case .medications:
            let affected = Dependents(medications: [key])
            try retract(affected)
            try versions.write(record, at: position)
            try applyFacts(affected)
        }
        return .applied
    }

    /// Natural keys of the facts whose mart rows depend on a changed record.
    struct Dependents {
        var encounters: Set<String> = []
        var conditions: Set<String> = []
        var medications: Set<String> = []
    }

    // Statements built once (the statement cache is keyed by their text).
    private static func replaceDimension(_ mart: MartDefinition, from entity: String) -> String {
        "INSERT OR REPLACE INTO \(mart.name) \(MartQueries.dimension(mart, from: entity, filter: "natural_key = ?1"))"
    }
    private static let replacePatient = replaceDimension(MartCatalog.dimPatients, from: "patients")
    private static let replaceOrganization = replaceDimension(MartCatalog.dimOrganizations, from: "organizations")
    private static let replaceProvider = replaceDimension(MartCatalog.dimProviders, from: "providers")

    private func keys(_ sql: String, _ key: String) throws -> Set<String> {
        Set(try database.prepare(sql).bind(.text(key)).rows().compactMap { $0[0].text })
    }

    /// Every fact of a patient, and the conditions of its encounters.
    private func dependents(ofPatient patient: String) throws -> Dependents {
        Dependents(
            encounters: try keys("SELECT natural_key FROM current_encounters WHERE patient_id = ?1", patient),
            conditions: try keys("""
                SELECT natural_key FROM current_conditions WHERE patient_id = ?1
                UNION SELECT c.natural_key FROM current_encounters e JOIN current_conditions c ON c.encounter_id = e.natural_key
                WHERE e.patient_id = ?1
                """, patient),
            medications: try keys("SELECT natural_key FROM current_medications WHERE patient_id = ?1", patient))
    }

    /// (patient, organization, class, start) of a current encounter.
    private func chainPosition(ofEncounter key: String) throws -> [SQLiteValue]? {
        try database.prepare("SELECT patient_id, organization_id, class_name, start_at FROM current_encounters WHERE natural_key = ?1")
            .bind(.text(key)).rows().first
    }

    /// The encounters whose previous encounter may be one at `position`: those of the same
    /// patient, organization and class at the first start after it.
    private func nextInChain(_ position: [SQLiteValue]) throws -> Set<String> {
        Set(try database.prepare("""
            SELECT natural_key FROM current_encounters WHERE patient_id = ?1 AND organization_id = ?2 AND class_name = ?3
              AND start_at = (SELECT min(start_at) FROM current_encounters
                              WHERE patient_id = ?1 AND organization_id = ?2 AND class_name = ?3 AND start_at > ?4)
            """).bind(position).rows().compactMap { $0[0].text })
    }

    // MARK: Retraction (from the stored mart rows, before anything they depend on changes)

    private func retract(_ dependents: Dependents) throws {
        for key in dependents.encounters { try retractEncounter(key) }
        for key in dependents.conditions { try retractCondition(key) }
        for key in dependents.medications { try retractMedication(key) }
    }

    private static let encounterContribution = """
        SELECT encounter_class, start_date, \(MartQueries.readmissionFlag), total_claim_cost FROM fact_patient_encounters WHERE encounter_id = ?2
        """

    private func retractEncounter(_ key: String) throws {
        guard let row = try database.prepare(Self.encounterContribution).bind(.integer(readmissionWindowDays), .text(key)).rows().first else { return }
        let group = [row[0], row[1]]
        try database.prepare("""
            UPDATE fact_patient_encounter_readmissions SET readmission_encounter_count = readmission_encounter_count - ?3,
                encounter_count = encounter_count - 1 WHERE encounter_class = ?1 AND start_date = ?2
            """).bind(group + [row[2]]).run()
        try database.prepare("""
            DELETE FROM fact_patient_encounter_readmissions WHERE encounter_class = ?1 AND start_date = ?2 AND encounter_count = 0
            """).bind(group).run()
        try database.prepare("""
            UPDATE fact_patient_encounters_by_month SET encounter_count = encounter_count - 1,
                total_claim_cost = emr_decimal_sub(total_claim_cost, ?3)
            WHERE encounter_class = ?1 AND encounter_month = substr(?2, 1, 7) || '-01'
            """).bind(group + [row[3]]).run()
        try database.prepare("""
            DELETE FROM fact_patient_encounters_by_month
            WHERE encounter_class = ?1 AND encounter_month = substr(?2, 1, 7) || '-01' AND encounter_count = 0
            """).bind(group).run()
        for sql in ReportSummaries.retract { try database.prepare(sql).bind(.text(key)).run() }
        try database.prepare("DELETE FROM fact_patient_encounters WHERE encounter_id = ?1").bind(.text(key)).run()
    }

    private func retractCondition(_ key: String) throws {
        guard let row = try database.prepare("""
            SELECT encounter_id, condition_code, coalesce(condition_description, ''), condition_description_type, counted_in_dim
            FROM current_conditions WHERE natural_key = ?1
            """).bind(.text(key)).rows().first else { return }
        try database.prepare("DELETE FROM fact_patient_conditions WHERE encounter_id = ?1 AND condition_code = ?2").bind(row[0], row[1]).run()
        if row[4].int == 1 {
            let value = [row[1], row[2], row[3]]
            try database.prepare("""
                UPDATE dim_conditions SET reference_count = reference_count - 1
                WHERE condition_code = ?1 AND condition_description = ?2 AND condition_description_type = ?3
                """).bind(value).run()
            try database.prepare("""
                DELETE FROM dim_conditions
                WHERE condition_code = ?1 AND condition_description = ?2 AND condition_description_type = ?3 AND reference_count = 0
                """).bind(value).run()
            try database.prepare("UPDATE current_conditions SET counted_in_dim = 0 WHERE natural_key = ?1").bind(.text(key)).run()
        }
    }

    private func retractMedication(_ key: String) throws {
        guard let row = try database.prepare("""
            SELECT patient_medication_id, medication_code, coalesce(medication_description, ''), counted_in_dim
            FROM current_medications WHERE natural_key = ?1
            """).bind(.text(key)).rows().first else { return }
        if let fact = try database.prepare("""
            SELECT medication_code, coalesce(medication_description, ''), age_group_id, start_date, dispenses
            FROM fact_patient_medications WHERE patient_medication_id = ?1
            """).bind(row[0]).rows().first {
            let group = Array(fact[0..<4])
            try database.prepare("""
                UPDATE fact_top_medications_by_patient_age_group SET total_dispenses = total_dispenses - ?5,
                    medication_count = medication_count - 1
                WHERE medication_code = ?1 AND medication_description = ?2 AND age_group_id = ?3 AND start_date = ?4
                """).bind(fact).run()
            try database.prepare("""
                DELETE FROM fact_top_medications_by_patient_age_group
                WHERE medication_code = ?1 AND medication_description = ?2 AND age_group_id = ?3 AND start_date = ?4
                  AND medication_count = 0
                """).bind(group).run()
            try database.prepare("DELETE FROM fact_patient_medications WHERE patient_medication_id = ?1").bind(row[0]).run()
        }
        if row[3].int == 1 {
            let value = [row[1], row[2]]
            try database.prepare("""
                UPDATE dim_medications SET reference_count = reference_count - 1 WHERE medication_code = ?1 AND medication_description = ?2
                """).bind(value).run()
            try database.prepare("""
                DELETE FROM dim_medications WHERE medication_code = ?1 AND medication_description = ?2 AND reference_count = 0
                """).bind(value).run()
            try database.prepare("UPDATE current_medications SET counted_in_dim = 0 WHERE natural_key = ?1").bind(.text(key)).run()
        }
    }

    // MARK: Application (from the current tables; encounters before the conditions that join them)

    private func applyFacts(_ dependents: Dependents) throws {
        for key in dependents.encounters { try applyEncounter(key) }
        for key in dependents.conditions { try applyCondition(key) }
        for key in dependents.medications { try applyMedication(key) }
    }

    private static let insertEncounterFact = "INSERT INTO fact_patient_encounters \(MartQueries.encounters(filter: "e.natural_key = ?1"))"
    private static let insertConditionFact =
        "INSERT INTO fact_patient_conditions \(MartQueries.conditions(filter: "c.natural_key = ?1", encounterFacts: "fact_patient_encounters"))"
    private static let insertMedicationFact = "INSERT INTO fact_patient_medications \(MartQueries.medications(filter: "m.natural_key = ?1"))"

    private static let addReadmission = """
        INSERT INTO fact_patient_encounter_readmissions (encounter_class, start_date, readmission_encounter_count, encounter_count)
        SELECT encounter_class, start_date, \(MartQueries.readmissionFlag), 1 FROM fact_patient_encounters WHERE encounter_id = ?2
        ON CONFLICT (encounter_class, start_date) DO UPDATE SET
            readmission_encounter_count = readmission_encounter_count + excluded.readmission_encounter_count,
            encounter_count = encounter_count + 1
        """
    private static let addMonth = """
        INSERT INTO fact_patient_encounters_by_month (encounter_class, encounter_month, encounter_year_number,
            encounter_month_number, encounter_month_short_name, encounter_month_full_name, encounter_count, total_claim_cost)
        SELECT f.encounter_class, \(MartQueries.monthOfStart), CAST(substr(f.start_date, 1, 4) AS INTEGER), m.month_number,
            m.short_name, m.full_name, 1, emr_decimal_add(NULL, f.total_claim_cost)
        FROM fact_patient_encounters f JOIN calendar_months m ON m.month_number = CAST(substr(f.start_date, 6, 2) AS INTEGER)
        WHERE f.encounter_id = ?1
        ON CONFLICT (encounter_class, encounter_month) DO UPDATE SET encounter_count = encounter_count + 1,
            total_claim_cost = emr_decimal_add(total_claim_cost, excluded.total_claim_cost)
        """

    private func applyEncounter(_ key: String) throws {
        try database.prepare(Self.insertEncounterFact).bind(.text(key)).run()
        guard database.changes > 0 else { return }  // waiting for its patient
        try database.prepare(Self.addReadmission).bind(.integer(readmissionWindowDays), .text(key)).run()
        try database.prepare(Self.addMonth).bind(.text(key)).run()
        for sql in ReportSummaries.add { try database.prepare(sql).bind(.text(key)).run() }
    }

    private func applyCondition(_ key: String) throws {
        try database.prepare(Self.insertConditionFact).bind(.text(key)).run()
        try database.prepare("""
            UPDATE current_conditions SET counted_in_dim = 1 WHERE natural_key = ?1
              AND EXISTS (SELECT 1 FROM current_patients p WHERE p.natural_key = current_conditions.patient_id)
            """).bind(.text(key)).run()
        guard database.changes > 0 else { return }
        try database.prepare("""
            INSERT INTO dim_conditions (condition_code, condition_description, condition_description_type, reference_count)
            SELECT condition_code, coalesce(condition_description, ''), condition_description_type, 1 FROM current_conditions
            WHERE natural_key = ?1
            ON CONFLICT (condition_code, condition_description, condition_description_type) DO UPDATE SET reference_count = reference_count + 1
            """).bind(.text(key)).run()
    }

    private func applyMedication(_ key: String) throws {
        try database.prepare(Self.insertMedicationFact).bind(.text(key)).run()
        guard database.changes > 0 else { return }  // waiting for its patient
        try database.prepare("""
            INSERT INTO fact_top_medications_by_patient_age_group (medication_code, medication_description, age_group_id, start_date,
                age_group_name, age_group_description, total_dispenses, medication_count)
            SELECT f.medication_code, coalesce(f.medication_description, ''), f.age_group_id, f.start_date, f.age_group_name,
                f.age_group_description, f.dispenses, 1
            FROM current_medications m JOIN fact_patient_medications f ON f.patient_medication_id = m.patient_medication_id
            WHERE m.natural_key = ?1
            ON CONFLICT (medication_code, medication_description, age_group_id, start_date) DO UPDATE SET
                total_dispenses = total_dispenses + excluded.total_dispenses, medication_count = medication_count + 1
            """).bind(.text(key)).run()
        try database.prepare("UPDATE current_medications SET counted_in_dim = 1 WHERE natural_key = ?1").bind(.text(key)).run()
        try database.prepare("""
            INSERT INTO dim_medications (medication_code, medication_description, reference_count)
            SELECT medication_code, coalesce(medication_description, ''), 1 FROM current_medications WHERE natural_key = ?1
            ON CONFLICT (medication_code, medication_description) DO UPDATE SET reference_count = reference_count + 1
            """).bind(.text(key)).run()
    }
}
