/// Summary tables behind the dashboard report, kept incrementally with every encounter fact
/// (like the aggregate marts) so the report reads a few thousand narrow rows instead of
/// scanning every encounter; `emr verify` checks them against their batch definitions. They
/// are not marts of the spec and are never exported.
///
/// - `report_encounter_days` (class, start date, age group): encounters, exact claim cost, and
///   the summed duration in whole seconds of those with a stop (exact, unlike a sum of doubles).
/// - `report_patient_days` (class, patient, start date): encounters, so distinct patients over
///   any range are a count of distinct ids in an index-ordered scan.
public enum ReportSummaries {
    public static let names = ["report_encounter_days", "report_patient_days"]

    static let durationSeconds = "(CAST(strftime('%s', stop_at) AS INTEGER) - CAST(strftime('%s', start_at) AS INTEGER))"

    /// Migration 5: the tables, filled from the facts already there.
    static let migration = """
        CREATE TABLE report_encounter_days (
            encounter_class TEXT NOT NULL, start_date TEXT NOT NULL, age_group_id INTEGER NOT NULL,
            encounter_count INTEGER NOT NULL, total_claim_cost TEXT, duration_seconds INTEGER NOT NULL, duration_count INTEGER NOT NULL,
            PRIMARY KEY (encounter_class, start_date, age_group_id)) WITHOUT ROWID;
        CREATE TABLE report_patient_days (
            encounter_class TEXT NOT NULL, patient_id TEXT NOT NULL, start_date TEXT NOT NULL, encounter_count INTEGER NOT NULL,
            PRIMARY KEY (encounter_class, patient_id, start_date)) WITHOUT ROWID;
        INSERT INTO report_encounter_days \(encounterDaysBatch(encounterFacts: "fact_patient_encounters"));
        INSERT INTO report_patient_days \(patientDaysBatch(encounterFacts: "fact_patient_encounters"));
        """

    static func encounterDaysBatch(encounterFacts: String) -> String {
        """
        SELECT encounter_class, start_date, age_group_id, count(*), emr_decimal_sum(total_claim_cost),
            coalesce(sum(CASE WHEN stop_at IS NULL THEN 0 ELSE \(durationSeconds) END), 0), count(stop_at)
        FROM \(encounterFacts) GROUP BY encounter_class, start_date, age_group_id
        """
    }

    static func patientDaysBatch(encounterFacts: String) -> String {
        "SELECT encounter_class, patient_id, start_date, count(*) FROM \(encounterFacts) GROUP BY encounter_class, patient_id, start_date"
    }

    // Incremental maintenance: ?1 is the encounter id, read from its fact row.

    static let add = [
        """
        INSERT INTO report_encounter_days (encounter_class, start_date, age_group_id, encounter_count, total_claim_cost, duration_seconds, duration_count)
        SELECT encounter_class, start_date, age_group_id, 1, emr_decimal_add(NULL, total_claim_cost),
            CASE WHEN stop_at IS NULL THEN 0 ELSE \(durationSeconds) END, stop_at IS NOT NULL
        FROM fact_patient_encounters WHERE encounter_id = ?1
        ON CONFLICT (encounter_class, start_date, age_group_id) DO UPDATE SET encounter_count = encounter_count + 1,
            total_claim_cost = emr_decimal_add(total_claim_cost, excluded.total_claim_cost),
            duration_seconds = duration_seconds + excluded.duration_seconds, duration_count = duration_count + excluded.duration_count
        """,
        """
        INSERT INTO report_patient_days (encounter_class, patient_id, start_date, encounter_count)
        SELECT encounter_class, patient_id, start_date, 1 FROM fact_patient_encounters WHERE encounter_id = ?1
        ON CONFLICT (encounter_class, patient_id, start_date) DO UPDATE SET encounter_count = encounter_count + 1
        """,
    ]

    /// Run before the fact row is deleted.
    static let retract = [
        """
        UPDATE report_encounter_days SET encounter_count = encounter_count - 1,
            total_claim_cost = emr_decimal_sub(report_encounter_days.total_claim_cost, f.total_claim_cost),
            duration_seconds = duration_seconds - CASE WHEN f.stop_at IS NULL THEN 0 ELSE (CAST(strftime('%s', f.stop_at) AS INTEGER) - CAST(strftime('%s', f.start_at) AS INTEGER)) END,
            duration_count = duration_count - (f.stop_at IS NOT NULL)
        FROM (SELECT * FROM fact_patient_encounters WHERE encounter_id = ?1) f
        WHERE report_encounter_days.encounter_class = f.encounter_class AND report_encounter_days.start_date = f.start_date
          AND report_encounter_days.age_group_id = f.age_group_id
        """,
        """
        DELETE FROM report_encounter_days WHERE encounter_count = 0 AND (encounter_class, start_date, age_group_id) IN
            (SELECT encounter_class, start_date, age_group_id FROM fact_patient_encounters WHERE encounter_id = ?1)
        """,
        """
        UPDATE report_patient_days SET encounter_count = encounter_count - 1
        WHERE (encounter_class, patient_id, start_date) IN (SELECT encounter_class, patient_id, start_date FROM fact_patient_encounters WHERE encounter_id = ?1)
        """,
        """
        DELETE FROM report_patient_days WHERE encounter_count = 0 AND (encounter_class, patient_id, start_date) IN
            (SELECT encounter_class, patient_id, start_date FROM fact_patient_encounters WHERE encounter_id = ?1)
        """,
    ]
}
