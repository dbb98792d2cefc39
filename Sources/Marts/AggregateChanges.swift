import Foundation
import State

/// The net change a batch makes to every aggregate row (the aggregate marts, the distinct
/// dimensions and the report summaries), written once per touched row when the batch ends.
///
/// Retracting and applying facts only adds signed contributions here; ``write(to:)`` then
/// upserts each group whose change is not zero and deletes the groups whose count reached zero.
/// The result equals moving every row one fact at a time (counts, exact-decimal sums and
/// reference counts are additive), with one statement per group instead of several per fact.
struct AggregateChanges {
    /// One aggregate table: how a change is written, and how an emptied group is removed.
    struct Table: Sendable {
        /// Binds the group columns, then the integer changes, then the decimal changes.
        let upsert: SQLText
        /// Binds the group columns; deletes the group when its count is zero.
        let deleteEmpty: SQLText
        /// Which integer change is the group's count (a group is removed when it reaches zero).
        let countIndex: Int
    }

    /// Changes of one group.
    struct Change {
        var integers: [Int64]
        var decimals: [Decimal]

        var isZero: Bool { integers.allSatisfy { $0 == 0 } && decimals.allSatisfy(\.isZero) }
    }

    /// By table (``SQLText/id`` of its upsert): the table and the change of each touched group.
    private var changes: [Int: (table: Table, groups: [[SQLiteValue]: Change])] = [:]

    var isEmpty: Bool { changes.isEmpty }

    /// Adds `sign` times the contribution (`integers`, `decimals`) to `group` of `table`.
    mutating func add(_ table: Table, group: [SQLiteValue], integers: [Int64], decimals: [Decimal] = [], sign: Int64) {
        let signedDecimals = sign < 0 ? decimals.map { -$0 } : decimals
        changes[table.upsert.id, default: (table, [:])].groups[group, default: Change(integers: integers.map { _ in 0 }, decimals: decimals.map { _ in 0 })]
            .add(integers.map { $0 * sign }, signedDecimals)
    }

    /// Writes every non-zero change, then forgets them all.
    mutating func write(to database: SQLiteDatabase) throws {
        defer { discard() }
        for (table, groups) in changes.values {
            for (group, change) in groups where !change.isZero {
                let values = group + change.integers.map { SQLiteValue.integer($0) } + change.decimals.map { SQLiteValue.text(DecimalText.canonical($0)) }
                try database.prepare(table.upsert).bind(values).run()
                if change.integers[table.countIndex] < 0 { try database.prepare(table.deleteEmpty).bind(group).run() }
            }
        }
    }

    /// Forgets every change (the batch rolled back).
    mutating func discard() {
        changes = [:]
    }
}

extension AggregateChanges.Table {
    /// A table whose only change is its count column: binds the `group` columns, then the count.
    static func counting(_ table: String, group: [String], count: String) -> Self {
        let columns = group.joined(separator: ", ")
        let placeholders = (1...group.count + 1).map { "?\($0)" }.joined(separator: ", ")
        let match = group.enumerated().map { "\($1) = ?\($0 + 1)" }.joined(separator: " AND ")
        return Self(
            upsert: SQLText("""
                INSERT INTO \(table) (\(columns), \(count)) VALUES (\(placeholders))
                ON CONFLICT (\(columns)) DO UPDATE SET \(count) = \(count) + excluded.\(count)
                """),
            deleteEmpty: SQLText("DELETE FROM \(table) WHERE \(match) AND \(count) = 0"),
            countIndex: 0)
    }
}

extension AggregateChanges.Change {
    mutating func add(_ integers: [Int64], _ decimals: [Decimal]) {
        for i in integers.indices { self.integers[i] += integers[i] }
        for i in decimals.indices { self.decimals[i] += decimals[i] }
    }
}

/// The aggregate tables maintained by counted changes, with their upsert and delete statements.
enum AggregateTables {
    /// (encounter_class, start_date) + (readmissions, encounters).
    static let readmissions = AggregateChanges.Table(
        upsert: SQLText("""
            INSERT INTO fact_patient_encounter_readmissions (encounter_class, start_date, readmission_encounter_count, encounter_count)
            VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (encounter_class, start_date) DO UPDATE SET
                readmission_encounter_count = readmission_encounter_count + excluded.readmission_encounter_count,
                encounter_count = encounter_count + excluded.encounter_count
            """),
        deleteEmpty: SQLText("""
            DELETE FROM fact_patient_encounter_readmissions WHERE encounter_class = ?1 AND start_date = ?2 AND encounter_count = 0
            """),
        countIndex: 1)

    /// (encounter_class, encounter_month) + (encounters) + (claim cost); the month's calendar
    /// columns come from `calendar_months` (a start date of no month adds nothing).
    static let byMonth = AggregateChanges.Table(
        upsert: SQLText("""
            INSERT INTO fact_patient_encounters_by_month (encounter_class, encounter_month, encounter_year_number,
                encounter_month_number, encounter_month_short_name, encounter_month_full_name, encounter_count, total_claim_cost)
            SELECT ?1, ?2, CAST(substr(?2, 1, 4) AS INTEGER), m.month_number, m.short_name, m.full_name, ?3, emr_decimal_add(NULL, ?4)
            FROM calendar_months m WHERE m.month_number = CAST(substr(?2, 6, 2) AS INTEGER)
            ON CONFLICT (encounter_class, encounter_month) DO UPDATE SET encounter_count = encounter_count + excluded.encounter_count,
                total_claim_cost = emr_decimal_add(total_claim_cost, excluded.total_claim_cost)
            """),
        deleteEmpty: SQLText("""
            DELETE FROM fact_patient_encounters_by_month WHERE encounter_class = ?1 AND encounter_month = ?2 AND encounter_count = 0
            """),
        countIndex: 0)

    /// (medication_code, medication_description, age_group_id, start_date) + (dispenses, medications).
    static let topMedications = AggregateChanges.Table(
        upsert: SQLText("""
            INSERT INTO fact_top_medications_by_patient_age_group (medication_code, medication_description, age_group_id, start_date,
                age_group_name, age_group_description, total_dispenses, medication_count)
            SELECT ?1, ?2, ?3, ?4, g.age_group_name, g.age_group_description, ?5, ?6 FROM age_groups g WHERE g.age_group_id = ?3
            ON CONFLICT (medication_code, medication_description, age_group_id, start_date) DO UPDATE SET
                total_dispenses = total_dispenses + excluded.total_dispenses, medication_count = medication_count + excluded.medication_count
            """),
        deleteEmpty: SQLText("""
            DELETE FROM fact_top_medications_by_patient_age_group
            WHERE medication_code = ?1 AND medication_description = ?2 AND age_group_id = ?3 AND start_date = ?4 AND medication_count = 0
            """),
        countIndex: 1)

    /// (condition_code, condition_description, condition_description_type) + (references).
    static let conditions = AggregateChanges.Table.counting(
        "dim_conditions", group: ["condition_code", "condition_description", "condition_description_type"], count: "reference_count")

    /// (medication_code, medication_description) + (references).
    static let medications = AggregateChanges.Table.counting(
        "dim_medications", group: ["medication_code", "medication_description"], count: "reference_count")
}
