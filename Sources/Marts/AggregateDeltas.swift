import State

/// The aggregate tables (the aggregate marts, the distinct dimensions and the report
/// summaries), moved by a batch's signed contributions (``MartMaintainer/SQL/Work``): one
/// upsert per table adds the net change of every group the batch touched, then the groups that
/// lost a contribution are deleted if their count reached zero. Counts, exact-decimal sums and reference counts
/// are additive, so the result equals moving every row one fact at a time; `emr verify` checks
/// it against each table's batch GROUP BY.
enum AggregateDeltas {
    /// One aggregate table's statements.
    struct Table: Sendable {
        /// Adds each touched group's net change (groups whose change is zero are left alone).
        let upsert: SQLText
        /// The groups that lost a contribution (only those can empty), one row each.
        let retractedGroups: SQLText
        /// Binds a group's columns; deletes it when its count is zero. (One group at a time: a
        /// row-value `IN` over the whole key does not always search the key in SQLite 3.40.)
        let deleteEmpty: SQLText
    }

    /// A column moved by the sum of the contributions (`sum`, an aggregate over the
    /// contribution table), added as an integer or as exact decimal text.
    struct Change {
        let column: String
        let sum: String
        var decimal = false
    }

    /// `sign * column` summed, for integer contributions.
    private static func signed(_ column: String) -> String { "sum(sign * \(column))" }
    /// A decimal column summed exactly with the sign applied.
    private static func signedDecimal(_ column: String) -> String {
        "emr_decimal_sum(CASE WHEN sign > 0 THEN \(column) ELSE emr_decimal_sub(NULL, \(column)) END)"
    }

    /// The statements of `target`, grouped by `group` (column, expression over `contributions`);
    /// `lookup` joins a reference table to fill descriptive columns from the group (`d.`).
    static func table(_ target: String, from contributions: String, group: [(column: String, expression: String)],
                      changes: [Change], count: String, lookup: (join: String, columns: [(column: String, expression: String)])? = nil) -> Table {
        let groupColumns = group.map(\.column)
        let inner = (group.map { "\($0.expression) AS \($0.column)" } + changes.map { "\($0.sum) AS \($0.column)" }).joined(separator: ", ")
        let columns = groupColumns + (lookup?.columns.map(\.column) ?? []) + changes.map(\.column)
        let values = groupColumns.map { "d.\($0)" } + (lookup?.columns.map(\.expression) ?? []) + changes.map { "d.\($0.column)" }
        let nonZero = changes.map { "d.\($0.column) != \($0.decimal ? "'0'" : "0")" }.joined(separator: " OR ")
        let updates = changes.map {
            $0.decimal ? "\($0.column) = emr_decimal_add(\($0.column), excluded.\($0.column))" : "\($0.column) = \($0.column) + excluded.\($0.column)"
        }
        let match = groupColumns.enumerated().map { "\($1) = ?\($0 + 1)" }.joined(separator: " AND ")
        return Table(
            upsert: SQLText("""
                INSERT INTO \(target) (\(columns.joined(separator: ", ")))
                SELECT \(values.joined(separator: ", "))
                FROM (SELECT \(inner) FROM \(contributions) GROUP BY \(groupColumns.joined(separator: ", "))) d \(lookup?.join ?? "")
                WHERE \(nonZero)
                ON CONFLICT (\(groupColumns.joined(separator: ", "))) DO UPDATE SET \(updates.joined(separator: ", "))
                """),
            retractedGroups: SQLText("SELECT DISTINCT \(group.map(\.expression).joined(separator: ", ")) FROM \(contributions) WHERE sign < 0"),
            deleteEmpty: SQLText("DELETE FROM \(target) WHERE \(match) AND \(count) = 0"))
    }

    private typealias Work = MartMaintainer.SQL.Work

    /// Every aggregate table, from the encounter and medication contributions and the
    /// references of the distinct dimensions.
    static let tables: [Table] = [
        table("fact_patient_encounter_readmissions", from: Work.encounterContributions,
              group: [("encounter_class", "encounter_class"), ("start_date", "start_date")],
              changes: [Change(column: "readmission_encounter_count", sum: signed("readmission")), Change(column: "encounter_count", sum: "sum(sign)")],
              count: "encounter_count"),
        // A start date of no calendar month adds nothing (as in the batch definition's join).
        table("fact_patient_encounters_by_month", from: Work.encounterContributions,
              group: [("encounter_class", "encounter_class"), ("encounter_month", MartQueries.monthOfStart)],
              changes: [Change(column: "encounter_count", sum: "sum(sign)"),
                        Change(column: "total_claim_cost", sum: signedDecimal("total_claim_cost"), decimal: true)],
              count: "encounter_count",
              lookup: ("JOIN calendar_months m ON m.month_number = CAST(substr(d.encounter_month, 6, 2) AS INTEGER)", [
                  ("encounter_year_number", "CAST(substr(d.encounter_month, 1, 4) AS INTEGER)"), ("encounter_month_number", "m.month_number"),
                  ("encounter_month_short_name", "m.short_name"), ("encounter_month_full_name", "m.full_name"),
              ])),
        table("fact_top_medications_by_patient_age_group", from: Work.medicationContributions,
              group: [("medication_code", "medication_code"), ("medication_description", "medication_description"),
                      ("age_group_id", "age_group_id"), ("start_date", "start_date")],
              changes: [Change(column: "total_dispenses", sum: signed("dispenses")), Change(column: "medication_count", sum: "sum(sign)")],
              count: "medication_count",
              lookup: ("JOIN age_groups g ON g.age_group_id = d.age_group_id",
                       [("age_group_name", "g.age_group_name"), ("age_group_description", "g.age_group_description")])),
        table("dim_conditions", from: Work.conditionReferences,
              group: [("condition_code", "condition_code"), ("condition_description", "condition_description"),
                      ("condition_description_type", "condition_description_type")],
              changes: [Change(column: "reference_count", sum: "sum(sign)")], count: "reference_count"),
        table("dim_medications", from: Work.medicationReferences,
              group: [("medication_code", "medication_code"), ("medication_description", "medication_description")],
              changes: [Change(column: "reference_count", sum: "sum(sign)")], count: "reference_count"),
        table("report_class_days", from: Work.encounterContributions,
              group: [("encounter_class", "encounter_class"), ("start_date", "start_date")],
              changes: [Change(column: "encounter_count", sum: "sum(sign)"), Change(column: "duration_seconds", sum: signed("duration_seconds")),
                        Change(column: "duration_count", sum: signed("has_stop")),
                        Change(column: "total_claim_cost", sum: signedDecimal("total_claim_cost"), decimal: true)],
              count: "encounter_count"),
        table("report_age_days", from: Work.encounterContributions,
              group: [("age_group_id", "age_group_id"), ("encounter_class", "encounter_class"), ("start_date", "start_date")],
              changes: [Change(column: "encounter_count", sum: "sum(sign)")], count: "encounter_count"),
        // In key order (date first), so a batch's groups are written in the order of the key.
        table("report_patient_days", from: Work.encounterContributions,
              group: [("start_date", "start_date"), ("encounter_class", "encounter_class"), ("patient_id", "patient_id")],
              changes: [Change(column: "encounter_count", sum: "sum(sign)")], count: "encounter_count"),
    ]
}
