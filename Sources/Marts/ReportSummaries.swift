import State

/// Summary tables behind the dashboard report, kept incrementally with every encounter fact
/// (like the aggregate marts: ``AggregateDeltas``) so the report reads narrow pre-aggregated rows instead of
/// scanning every encounter; `emr verify` checks them against their batch definitions. They
/// are not marts of the spec and are never exported.
///
/// - per class and start date, the grain of the readmissions mart, hidden columns of that mart
///   (``classDayFigures``; a table of their own, `report_class_days`, until migration 10):
///   exact claim cost, and the summed duration in whole seconds of the encounters with a stop
///   (exact, unlike a sum of doubles);
/// - `report_age_days` (age group, class, start date): encounters;
/// - `report_patient_days` (start date, class, patient): encounters, so the distinct patients
///   of a range come from that range alone (sorted by patient when read).
public enum ReportSummaries {
    public static let names = ["report_age_days", "report_patient_days"]

    /// An encounter's duration in whole seconds (staged timestamps have no fraction, so
    /// `unixepoch` is exact; it reads each timestamp once, where the `strftime('%s', …)` of
    /// migration 5 also formats and casts it: 8 vs 15 ms over the 26,789 encounter facts of 600
    /// patients in the shell).
    static let durationSeconds = "(unixepoch(stop_at) - unixepoch(start_at))"

    /// The hidden columns of the readmissions mart over a group of encounter facts: exact
    /// claim cost, summed duration in seconds, encounters with a stop.
    static let classDayFigures = """
        emr_decimal_sum(total_claim_cost), coalesce(sum(CASE WHEN stop_at IS NULL THEN 0 ELSE \(durationSeconds) END), 0), count(stop_at)
        """

    /// Batch definitions over a table of encounter facts, in the order of ``names``.
    static func batchDefinitions(encounterFacts: String) -> [String] {
        [
            "SELECT age_group_id, encounter_class, start_date, count(*) FROM \(encounterFacts) GROUP BY age_group_id, encounter_class, start_date",
            "SELECT patient_id, encounter_class, start_date, count(*) FROM \(encounterFacts) GROUP BY patient_id, encounter_class, start_date",
        ]
    }

    /// Migration 10: the class-day figures move into the readmissions mart, whose grain they
    /// share, as hidden columns: one aggregate row per encounter contribution instead of two.
    /// `emr bench consume`'s 600 patients: the table's upsert was 29 of about 900 ms of the
    /// applying thread's CPU.
    static let classDaysInReadmissions = """
        ALTER TABLE fact_patient_encounter_readmissions ADD COLUMN total_claim_cost TEXT;
        ALTER TABLE fact_patient_encounter_readmissions ADD COLUMN duration_seconds INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE fact_patient_encounter_readmissions ADD COLUMN duration_count INTEGER NOT NULL DEFAULT 0;
        UPDATE fact_patient_encounter_readmissions AS r
            SET total_claim_cost = d.total_claim_cost, duration_seconds = d.duration_seconds, duration_count = d.duration_count
            FROM report_class_days d WHERE d.encounter_class = r.encounter_class AND d.start_date = r.start_date;
        DROP TABLE report_class_days;
        """

    /// Migration 7: `report_patient_days` keyed by date first (same columns, same rows). Records
    /// arrive roughly in time order, so a batch's rows land in a few pages at the end of the
    /// key instead of one page per patient all over it: `emr consume` over the topics of `emr
    /// bench consume --patients 6000 --partitions 48`, alternating binaries, 17,130 and 17,324 ->
    /// 18,536 and 19,667 records/s, commit per batch 87 -> 81-83 ms, peak RSS 149 -> 146 MB.
    /// The dashboard's distinct patients over all time sort the range instead (6,000
    /// patients: 114 -> 159 ms); over a year or a month they read only it (23 -> 7 ms, 17 -> 1 ms).
    static let dateFirstPatientDays = """
        CREATE TABLE report_patient_days_by_date (
            patient_id TEXT NOT NULL, encounter_class TEXT NOT NULL, start_date TEXT NOT NULL, encounter_count INTEGER NOT NULL,
            PRIMARY KEY (start_date, encounter_class, patient_id)) WITHOUT ROWID;
        INSERT INTO report_patient_days_by_date (patient_id, encounter_class, start_date, encounter_count)
            SELECT patient_id, encounter_class, start_date, encounter_count FROM report_patient_days;
        DROP TABLE report_patient_days;
        ALTER TABLE report_patient_days_by_date RENAME TO report_patient_days;
        """

    /// Migration 5: the tables, filled from the facts already there (its SQL as released).
    static let migration = """
        CREATE TABLE report_class_days (
            encounter_class TEXT NOT NULL, start_date TEXT NOT NULL, encounter_count INTEGER NOT NULL, total_claim_cost TEXT,
            duration_seconds INTEGER NOT NULL, duration_count INTEGER NOT NULL,
            PRIMARY KEY (encounter_class, start_date)) WITHOUT ROWID;
        CREATE TABLE report_age_days (
            age_group_id INTEGER NOT NULL, encounter_class TEXT NOT NULL, start_date TEXT NOT NULL, encounter_count INTEGER NOT NULL,
            PRIMARY KEY (age_group_id, encounter_class, start_date)) WITHOUT ROWID;
        CREATE TABLE report_patient_days (
            patient_id TEXT NOT NULL, encounter_class TEXT NOT NULL, start_date TEXT NOT NULL, encounter_count INTEGER NOT NULL,
            PRIMARY KEY (patient_id, encounter_class, start_date)) WITHOUT ROWID;
        INSERT INTO report_class_days SELECT encounter_class, start_date, count(*), emr_decimal_sum(total_claim_cost),
                coalesce(sum(CASE WHEN stop_at IS NULL THEN 0 ELSE (CAST(strftime('%s', stop_at) AS INTEGER) - CAST(strftime('%s', start_at) AS INTEGER)) END), 0), count(stop_at)
            FROM fact_patient_encounters GROUP BY encounter_class, start_date;
        INSERT INTO report_age_days SELECT age_group_id, encounter_class, start_date, count(*) FROM fact_patient_encounters GROUP BY age_group_id, encounter_class, start_date;
        INSERT INTO report_patient_days SELECT patient_id, encounter_class, start_date, count(*) FROM fact_patient_encounters GROUP BY patient_id, encounter_class, start_date;
        """
}
