import State

/// A few headline figures read from the aggregate marts (what `emr demo` prints): typed
/// results of queries that belong with the marts they read.
public enum MartHighlights {
    /// Encounters and readmissions of one encounter class.
    public struct ClassCount: Sendable, Equatable {
        public var encounterClass: String
        public var encounters: Int64
        public var readmissions: Int64
    }

    /// Encounters and their total claim cost (exact decimal text) in one month.
    public struct MonthCost: Sendable, Equatable {
        public var month: String
        public var encounters: Int64
        public var totalClaimCost: String
    }

    /// Dispenses of one medication over every age group and day.
    public struct MedicationDispenses: Sendable, Equatable {
        public var description: String
        public var dispenses: Int64
    }

    /// Every encounter class, most encounters first.
    public static func encountersByClass(_ database: SQLiteDatabase) throws -> [ClassCount] {
        try database.prepare("""
            SELECT encounter_class, sum(encounter_count), sum(readmission_encounter_count) FROM fact_patient_encounter_readmissions
            GROUP BY encounter_class ORDER BY 2 DESC, 1
            """).rows().map { ClassCount(encounterClass: $0[0].text ?? "", encounters: $0[1].int ?? 0, readmissions: $0[2].int ?? 0) }
    }

    /// The latest `count` months with encounters, newest first; costs summed exactly.
    public static func latestMonths(_ database: SQLiteDatabase, count: Int) throws -> [MonthCost] {
        try database.prepare("""
            SELECT encounter_month, sum(encounter_count), group_concat(total_claim_cost, '+') FROM fact_patient_encounters_by_month
            GROUP BY encounter_month ORDER BY encounter_month DESC LIMIT ?1
            """).bind(.integer(Int64(count))).rows().map { row in
            let total = (row[2].text ?? "").split(separator: "+").compactMap { DecimalText.parse(String($0)) }.reduce(0, +)
            return MonthCost(month: row[0].text ?? "", encounters: row[1].int ?? 0, totalClaimCost: DecimalText.canonical(total))
        }
    }

    /// The `count` most dispensed medications, most first.
    public static func topMedications(_ database: SQLiteDatabase, count: Int) throws -> [MedicationDispenses] {
        try database.prepare("""
            SELECT medication_description, sum(total_dispenses) FROM fact_top_medications_by_patient_age_group
            GROUP BY medication_code, medication_description ORDER BY 2 DESC, 1 LIMIT ?1
            """).bind(.integer(Int64(count))).rows().map { MedicationDispenses(description: $0[0].text ?? "", dispenses: $0[1].int ?? 0) }
    }
}
