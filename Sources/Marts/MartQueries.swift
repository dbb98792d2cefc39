/// The SQL building blocks of the marts' derivations (spec sections 6 and 7) over the
/// current-version tables; each mart's declaration in ``MartCatalog`` says which it uses.
///
/// Row-level marts (dimensions and facts) have one SELECT with a filter slot: the incremental
/// path runs it for the keys a batch changed, `emr verify` for every row. Aggregates (readmissions, by month,
/// top medications, distinct conditions and medications) have a batch GROUP BY here and are
/// maintained incrementally by ``MartMaintainer`` with counted deltas, so the two definitions
/// are independent and `emr verify` checks one against the other.
///
/// Patients are joined on `current_patients.natural_key` (their `Id`, the table's primary key),
/// so the statements for a batch's keys are index lookups, never scans.
enum MartQueries {
    /// `age_years(birth, at)`: calendar months between the two, ignoring the day, / 12.
    static func age(_ birth: String, _ at: String) -> String {
        "((CAST(substr(\(at), 1, 4) AS INTEGER) - CAST(substr(\(birth), 1, 4) AS INTEGER)) * 12"
            + " + CAST(substr(\(at), 6, 2) AS INTEGER) - CAST(substr(\(birth), 6, 2) AS INTEGER)) / 12.0"
    }

    /// Seconds between two ISO dates or timestamps / 3600; NULL when either is NULL.
    static func hours(_ start: String, _ stop: String) -> String {
        "(unixepoch(\(stop)) - unixepoch(\(start))) / 3600.0"
    }

    /// The bounds of the age groups 1 to 8 (`min < age <= max`) as the `age_groups` table holds
    /// them (migration 2; a test holds the two equal). Any other age, NULL included, is group 9.
    static let ageGroupBounds: [(id: Int, min: String, max: String)] = [
        (1, "-0.001", "1"), (2, "1", "5"), (3, "5", "13"), (4, "13", "18"), (5, "18", "26"), (6, "26", "45"), (7, "45", "65"), (8, "65", "120"),
    ]

    /// The age group of `age`: a CASE over ``ageGroupBounds`` (a correlated look-up in
    /// `age_groups` per row cost a cursor over its rows for every fact).
    static func ageGroup(of age: String) -> String {
        "CASE " + ageGroupBounds.map { "WHEN \(age) > \($0.min) AND \(age) <= \($0.max) THEN \($0.id)" }.joined(separator: " ") + " ELSE 9 END"
    }

    /// The group of `x.start_age` with its names. `CROSS JOIN` (the same rows as `JOIN`): SQLite
    /// then streams the fact's inner SELECT row by row instead of first copying all of it into a
    /// temporary table (a FROM subquery joined by a plain `JOIN` is materialised in 3.40).
    /// `emr bench consume`'s applying thread, 4 alternations: 970-1115 vs 1007-1167 ms per run.
    static let ageGroupJoin = "CROSS JOIN age_groups g ON g.age_group_id = \(ageGroup(of: "x.start_age"))"

    /// Ends the inner SELECT of a fact: SQLite then computes its row once instead of flattening
    /// it into the outer query, which evaluates a derived column at every use (the age in each
    /// age group's bounds, the duration twice): deriving every encounter fact of a 600-patient
    /// state takes 117-131 ms instead of 170-178 ms.
    static let computedOnce = "LIMIT -1 OFFSET 0"

    /// The WHERE condition of a row-level SELECT over the current-version table aliased `alias`.
    static func only(_ filter: RowFilter, in alias: String?) -> String {
        switch filter {
        case .all: "1"
        case .keysIn(let table): "\(alias.map { "\($0)." } ?? "")natural_key IN (SELECT natural_key FROM \(table))"
        case .keyIDsIn: preconditionFailure("only the facts have key ids")
        }
    }

    /// The key ids (``MartDefinition/keyIDColumn``) of the natural keys in table `keys`, from
    /// the current-version table `table`.
    static func keyIDs(of keys: String, in table: String) -> String {
        "SELECT t.key_id FROM \(keys) k CROSS JOIN \(table) t ON t.key_hash = emr_key_hash(k.natural_key) AND t.natural_key = k.natural_key"
    }

    /// The WHERE condition of a fact's SELECT over the current-version table `table` aliased
    /// `alias`: its rows by key id, which SQLite visits in key-id order (sorted once), so the
    /// fact rows go into their table in row-id order (new ones append) rather than in the
    /// random order of their natural keys.
    static func onlyByKeyID(_ filter: RowFilter, in alias: String, of table: String) -> String {
        switch filter {
        case .all: "1"
        case .keysIn(let keys): "\(alias).key_id IN (\(keyIDs(of: keys, in: table)))"
        case .keyIDsIn(let keyIDs): "\(alias).key_id IN (SELECT key_id FROM \(keyIDs))"
        }
    }

    /// Columns of a dimension copied from its current-version table.
    static func dimension(_ columns: [String], from entity: String, filter: String) -> String {
        "SELECT \(columns.joined(separator: ", ")) FROM current_\(entity) WHERE \(filter)"
    }

    /// Days since the previous encounter of the same patient, organization and class (NULL for
    /// the first), for the current encounter `e`: for some encounters, by a look-up in their
    /// chain (``EncounterChains``); for all of them (the batch definition), by a window over
    /// the chain's columns, independent of the numbering. Encounters of one chain share their
    /// patient, so the join with the present patients keeps a chain whole or drops it.
    static func daysBetweenEncounters(_ e: String, all: Bool) -> String {
        let previous = all ? """
            CASE WHEN \(e).organization_id IS NOT NULL AND \(e).class_name IS NOT NULL THEN max(\(e).start_at) OVER (
                PARTITION BY \(e).patient_id, \(e).organization_id, \(e).class_name ORDER BY \(e).start_at
                RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP) END
            """ : """
            (SELECT o.start_at FROM current_encounters o WHERE o.chain_id = \(e).chain_id AND o.start_at < \(e).start_at
                ORDER BY o.start_at DESC LIMIT 1)
            """
        return "(unixepoch(\(e).start_at) - unixepoch(\(previous))) / 86400.0"
    }

    /// `fact_patient_encounters`: current encounters whose patient is present (all of them
    /// or those of the filter: see ``daysBetweenEncounters(_:all:)``).
    static func encounters(_ rows: RowFilter) -> String {
        let (filter, all) = (onlyByKeyID(rows, in: "e", of: "current_encounters"), rows.isAll)
        return """
        SELECT x.encounter_id, x.patient_id, x.organization_id, x.provider_id, x.payer_id, x.encounter_class, x.encounter_code,
            x.encounter_description, x.start_at, x.start_date, x.stop_at, x.stop_date, x.base_encounter_cost, x.total_claim_cost,
            x.payer_coverage, x.reason_code, x.reason_description, x.start_age, x.stop_age, x.duration_hours, x.duration_hours / 24.0,
            g.age_group_id, g.age_group_name, g.age_group_description, x.ingested_at, x.days_between_encounters, x.key_id
        FROM (
            SELECT e.encounter_id, e.patient_id, e.organization_id, e.provider_id, e.payer_id, e.class_name AS encounter_class,
                e.encounter_code, e.encounter_description, e.start_at, substr(e.start_at, 1, 10) AS start_date, e.stop_at,
                substr(e.stop_at, 1, 10) AS stop_date, e.base_encounter_cost, e.total_claim_cost, e.payer_coverage, e.reason_code,
                e.reason_description, \(age("p.birth_date", "e.start_at")) AS start_age, \(age("p.birth_date", "e.stop_at")) AS stop_age,
                \(hours("e.start_at", "e.stop_at")) AS duration_hours, e.ingested_at,
                \(daysBetweenEncounters("e", all: all)) AS days_between_encounters, e.key_id
            FROM current_encounters e JOIN current_patients p ON p.natural_key = e.patient_id
            WHERE \(filter) \(computedOnce)
        ) x
        \(ageGroupJoin)
        """
    }

    /// `fact_patient_conditions`: current conditions whose patient is present and whose
    /// encounter is in `encounterFacts` (found by its key id: the facts have no index on
    /// `encounter_id`).
    static func conditions(filter: String, encounterFacts: String) -> String {
        """
        SELECT x.encounter_id, x.condition_code, x.patient_id, x.condition_description, x.condition_description_type, x.start_date,
            x.stop_date, x.start_age, x.stop_age, x.duration_hours, g.age_group_id, g.age_group_name, g.age_group_description,
            x.encounter_class, x.ingested_at, x.key_id
        FROM (
            SELECT c.encounter_id, c.condition_code, c.patient_id, c.condition_description, c.condition_description_type,
                c.start_date, c.stop_date, \(age("p.birth_date", "c.start_date")) AS start_age,
                \(age("p.birth_date", "c.stop_date")) AS stop_age, \(hours("c.start_date", "c.stop_date")) AS duration_hours,
                f.encounter_class, c.ingested_at, c.key_id
            FROM current_conditions c JOIN current_patients p ON p.natural_key = c.patient_id
                JOIN current_encounters e ON e.key_hash = emr_key_hash(c.encounter_id)
                JOIN \(encounterFacts) f ON f.key_id = e.key_id AND f.encounter_id = c.encounter_id
            WHERE \(filter) \(computedOnce)
        ) x
        \(ageGroupJoin)
        """
    }

    /// `fact_patient_medications`: current medications whose patient is present.
    static func medications(filter: String) -> String {
        """
        SELECT x.patient_medication_id, x.patient_id, x.payer_id, x.encounter_id, x.medication_code, x.medication_description,
            x.base_cost, x.payer_coverage, x.dispenses, x.total_cost, x.start_at, x.start_date, x.stop_at, x.stop_date,
            x.reason_code, x.reason_description, x.start_age, x.stop_age, x.duration_hours, g.age_group_id, g.age_group_name,
            g.age_group_description, x.ingested_at, x.key_id
        FROM (
            SELECT m.patient_medication_id, m.patient_id, m.payer_id, m.encounter_id, m.medication_code, m.medication_description,
                m.base_cost, m.payer_coverage, m.dispenses, m.total_cost, m.start_at, substr(m.start_at, 1, 10) AS start_date,
                m.stop_at, substr(m.stop_at, 1, 10) AS stop_date, m.reason_code, m.reason_description,
                \(age("p.birth_date", "m.start_at")) AS start_age, \(age("p.birth_date", "m.stop_at")) AS stop_age,
                \(hours("m.start_at", "m.stop_at")) AS duration_hours, m.ingested_at, m.key_id
            FROM current_medications m JOIN current_patients p ON p.natural_key = m.patient_id
            WHERE \(filter) \(computedOnce)
        ) x
        \(ageGroupJoin)
        """
    }

    /// An encounter counts as a readmission when `days_between_encounters <= window`.
    static func readmissionFlag(windowDays: Int64) -> String { "coalesce(days_between_encounters <= \(windowDays), 0)" }
    static let monthOfStart = "substr(start_date, 1, 7) || '-01'"

    // Batch definitions of the aggregates.

    static func readmissionsBatch(encounterFacts: String, windowDays: Int64) -> String {
        """
        SELECT encounter_class, start_date, sum(\(readmissionFlag(windowDays: windowDays))), count(*), \(ReportSummaries.classDayFigures)
        FROM \(encounterFacts) GROUP BY encounter_class, start_date
        """
    }

    static func byMonthBatch(encounterFacts: String) -> String {
        """
        SELECT f.encounter_class, \(monthOfStart), CAST(substr(f.start_date, 1, 4) AS INTEGER), m.month_number, m.short_name,
            m.full_name, count(*), emr_decimal_sum(f.total_claim_cost)
        FROM \(encounterFacts) f JOIN calendar_months m ON m.month_number = CAST(substr(f.start_date, 6, 2) AS INTEGER)
        GROUP BY f.encounter_class, \(monthOfStart)
        """
    }

    static func topMedicationsBatch(medicationFacts: String) -> String {
        """
        SELECT medication_code, coalesce(medication_description, ''), age_group_id, start_date, age_group_name,
            age_group_description, sum(dispenses), count(*)
        FROM \(medicationFacts) GROUP BY medication_code, coalesce(medication_description, ''), age_group_id, start_date
        """
    }

    static let dimConditionsBatch = """
        SELECT condition_code, coalesce(condition_description, ''), condition_description_type, count(*)
        FROM current_conditions c WHERE EXISTS (SELECT 1 FROM current_patients p WHERE p.natural_key = c.patient_id)
        GROUP BY condition_code, coalesce(condition_description, ''), condition_description_type
        """

    static let dimMedicationsBatch = """
        SELECT medication_code, coalesce(medication_description, ''), count(*)
        FROM current_medications m WHERE EXISTS (SELECT 1 FROM current_patients p WHERE p.natural_key = m.patient_id)
        GROUP BY medication_code, coalesce(medication_description, '')
        """
}
