import State

/// The aggregate tables (the aggregate marts, the distinct dimensions and the report
/// summaries), moved by a batch's signed contributions (``MartMaintainer/SQL/Work``): one
/// upsert per table adds the contributions to their groups, then the groups that lost a
/// contribution are deleted if their count reached zero. Counts, exact-decimal sums and
/// reference counts are additive, so the result equals moving every row one fact at a time;
/// `emr verify` checks it against each table's batch GROUP BY.
enum AggregateDeltas {
    /// One aggregate table's statements.
    struct Table: Sendable {
        /// Adds the contributions to their groups (inserted if new).
        let upsert: SQLText
        /// The groups that lost a contribution (only those can empty), one row each.
        let retractedGroups: SQLText
        /// Binds a group's columns; deletes it when its count is zero. (One group at a time: a
        /// row-value `IN` over the whole key does not always search the key in SQLite 3.40.)
        let deleteEmpty: SQLText
    }

    /// A column moved by each contribution: `row`, an expression over one contribution with its
    /// sign applied, added as an integer or as exact decimal text.
    struct Change {
        let column: String
        let row: String
        var decimal = false

        /// The number of contributions: `sign`.
        static func count(_ column: String) -> Change { Change(column: column, row: "sign") }
        /// `sign * source`, for integer contributions.
        static func signed(_ column: String, _ source: String) -> Change { Change(column: column, row: "sign * \(source)") }
        /// A decimal moved exactly with the sign applied (NULL adds 0, as in a SUM).
        static func decimal(_ column: String, _ source: String) -> Change {
            Change(column: column, row: "CASE WHEN sign > 0 THEN emr_decimal_add(NULL, \(source)) ELSE emr_decimal_sub(NULL, \(source)) END", decimal: true)
        }
    }

    /// The statements of `target`, grouped by `group` (column, expression over `contributions`);
    /// `lookup` joins a reference table to fill descriptive columns from the group (`d.`).
    ///
    /// Where a batch's contributions fall into about as many groups (`grouped` false), each
    /// contribution is its own row of the upsert: SQLite materialises a grouped subquery and
    /// sorts it, which cost twice the upsert itself there (a report summary at 600 patients:
    /// 11.7 vs 4.3 ms for 8,929 contributions). Ordering by the key costs about 1 ms of that
    /// and keeps the writes in key order. Where a batch has many contributions per group (`grouped`: the
    /// months, the distinct dimensions' few dozen codes), they are summed per group first, and
    /// groups whose change is zero are left alone.
    static func table(_ target: String, from contributions: String, group: [(column: String, expression: String)],
                      changes: [Change], count: String, grouped: Bool = false,
                      lookup: (join: String, columns: [(column: String, expression: String)])? = nil) -> Table {
        let groupColumns = group.map(\.column)
        let moved = changes.map { change in
            grouped ? (change.decimal ? "emr_decimal_sum(\(change.row))" : "sum(\(change.row))") : change.row
        }
        let inner = (group.map { "\($0.expression) AS \($0.column)" } + zip(moved, changes).map { "\($0) AS \($1.column)" }).joined(separator: ", ")
        let columns = groupColumns + (lookup?.columns.map(\.column) ?? []) + changes.map(\.column)
        let values = groupColumns.map { "d.\($0)" } + (lookup?.columns.map(\.expression) ?? []) + changes.map { "d.\($0.column)" }
        let nonZero = changes.map { "d.\($0.column) != \($0.decimal ? "'0'" : "0")" }.joined(separator: " OR ")
        let updates = changes.map {
            $0.decimal ? "\($0.column) = emr_decimal_add(\($0.column), excluded.\($0.column))" : "\($0.column) = \($0.column) + excluded.\($0.column)"
        }
        let match = groupColumns.enumerated().map { "\($1) = ?\($0 + 1)" }.joined(separator: " AND ")
        let source = grouped
            ? "(SELECT \(inner) FROM \(contributions) GROUP BY \(groupColumns.joined(separator: ", "))) d \(lookup?.join ?? "") WHERE \(nonZero)"
            : "(SELECT \(inner) FROM \(contributions)) d \(lookup?.join ?? "") WHERE true ORDER BY \(groupColumns.map { "d.\($0)" }.joined(separator: ", "))"
        return Table(
            upsert: SQLText("""
                INSERT INTO \(target) (\(columns.joined(separator: ", ")))
                SELECT \(values.joined(separator: ", "))
                FROM \(source)
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
              changes: [.signed("readmission_encounter_count", "readmission"), .count("encounter_count"),
                        .decimal("total_claim_cost", "total_claim_cost"), .signed("duration_seconds", "duration_seconds"),
                        .signed("duration_count", "has_stop")],
              count: "encounter_count"),
        // A start date of no calendar month adds nothing (as in the batch definition's join).
        table("fact_patient_encounters_by_month", from: Work.encounterContributions,
              group: [("encounter_class", "encounter_class"), ("encounter_month", MartQueries.monthOfStart)],
              changes: [.count("encounter_count"), .decimal("total_claim_cost", "total_claim_cost")],
              count: "encounter_count", grouped: true,
              lookup: ("JOIN calendar_months m ON m.month_number = CAST(substr(d.encounter_month, 6, 2) AS INTEGER)", [
                  ("encounter_year_number", "CAST(substr(d.encounter_month, 1, 4) AS INTEGER)"), ("encounter_month_number", "m.month_number"),
                  ("encounter_month_short_name", "m.short_name"), ("encounter_month_full_name", "m.full_name"),
              ])),
        table("fact_top_medications_by_patient_age_group", from: Work.medicationContributions,
              group: [("medication_code", "medication_code"), ("medication_description", "medication_description"),
                      ("age_group_id", "age_group_id"), ("start_date", "start_date")],
              changes: [.signed("total_dispenses", "dispenses"), .count("medication_count")],
              count: "medication_count",
              lookup: ("JOIN age_groups g ON g.age_group_id = d.age_group_id",
                       [("age_group_name", "g.age_group_name"), ("age_group_description", "g.age_group_description")])),
        table("dim_conditions", from: Work.conditionReferences,
              group: [("condition_code", "condition_code"), ("condition_description", "condition_description"),
                      ("condition_description_type", "condition_description_type")],
              changes: [.count("reference_count")], count: "reference_count", grouped: true),
        table("dim_medications", from: Work.medicationReferences,
              group: [("medication_code", "medication_code"), ("medication_description", "medication_description")],
              changes: [.count("reference_count")], count: "reference_count", grouped: true),
        table("report_age_days", from: Work.encounterContributions,
              group: [("age_group_id", "age_group_id"), ("encounter_class", "encounter_class"), ("start_date", "start_date")],
              changes: [.count("encounter_count")], count: "encounter_count"),
        // In key order (date first), so a batch's groups are written in the order of the key.
        table("report_patient_days", from: Work.encounterContributions,
              group: [("start_date", "start_date"), ("encounter_class", "encounter_class"), ("patient_id", "patient_id")],
              changes: [.count("encounter_count")], count: "encounter_count"),
    ]
}
