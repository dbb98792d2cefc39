import Staging
import State
import Synthea

/// The tables of the intermediate layer (current version per natural key) and of the marts,
/// appended to the base state schema as migration 2.
public enum MartSchema {
    /// Every migration of a state file that holds marts.
    /// Versions: 1 base tables, 2 current versions and marts, 3 accepted offset gaps, 4 state
    /// properties, 5 dashboard summaries, 6 row-id storage for the large tables, 7 patient days
    /// keyed by date first, 8 numbered encounter chains, 9 facts stored by key id, 10 the
    /// dashboard's class-day figures in the readmissions mart, 11 natural keys found by their hash.
    public static let migrations: [String] = StateSchema.baseMigrations + [
        version2, StateSchema.acceptedGapsMigration, StateSchema.propertiesMigration, ReportSummaries.migration, version6,
        ReportSummaries.dateFirstPatientDays, EncounterChains.migration, version9, ReportSummaries.classDaysInReadmissions,
        version11,
    ]

    /// Columns derived once when a record becomes current (spec section 6).
    static func derivedColumns(of entity: Entity) -> [String] {
        switch entity {
        case .encounters: ["class_name"]
        case .conditions: ["condition_description", "condition_description_type"]
        case .medications: ["patient_medication_id"]
        default: []
        }
    }

    /// Bookkeeping columns of a current-version row: where and when its version was ingested.
    static let versionColumns = ["extra_fields", "ingested_ms", "ingested_at", "source_topic", "source_partition", "source_offset"]

    static func currentTable(_ entity: Entity) -> String { "current_\(entity.rawValue)" }

    /// Staged, derived and bookkeeping columns of a current-version table, in order.
    static func currentColumns(_ entity: Entity) -> [String] {
        ["natural_key"] + StagingSchema.fields(of: entity).map(\.name) + derivedColumns(of: entity) + versionColumns
    }

    private static func createCurrentTable(_ entity: Entity) -> String {
        let staged = StagingSchema.fields(of: entity).map { "\($0.name) \($0.type == .integer ? "INTEGER" : "TEXT")" }
        let derived = derivedColumns(of: entity).map { "\($0) TEXT" }
        let dimFlag = entity == .conditions || entity == .medications ? ["counted_in_dim INTEGER NOT NULL DEFAULT 0"] : []
        let columns = ["natural_key TEXT PRIMARY KEY NOT NULL"] + staged + derived + [
            "extra_fields TEXT", "ingested_ms INTEGER NOT NULL", "ingested_at TEXT NOT NULL", "source_topic TEXT NOT NULL",
            "source_partition INTEGER NOT NULL", "source_offset INTEGER NOT NULL",
        ] + dimFlag
        return "CREATE TABLE \(currentTable(entity)) (\n    \(columns.joined(separator: ",\n    "))\n) WITHOUT ROWID;"
    }

    /// Migration 2: current versions, reference tables, marts. The SQL text is fixed once
    /// released (generated from the staging schema of this version), so the marts' tables are
    /// written out here rather than derived from ``MartCatalog``; a test holds the migrated
    /// tables to the declarations (columns, types, NOT NULL, key, storage).
    static let version2: String = {
        var sql = Entity.allCases.map(createCurrentTable).joined(separator: "\n")
        sql += """

        CREATE INDEX current_encounters_chain ON current_encounters (patient_id, organization_id, class_name, start_at);
        CREATE INDEX current_conditions_patient ON current_conditions (patient_id);
        CREATE INDEX current_conditions_encounter ON current_conditions (encounter_id);
        CREATE INDEX current_medications_patient ON current_medications (patient_id);

        CREATE TABLE mart_settings (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;

        CREATE TABLE age_groups (
            age_group_id INTEGER PRIMARY KEY, age_group_name TEXT NOT NULL, min_age REAL, max_age REAL,
            age_group_description TEXT NOT NULL);
        INSERT INTO age_groups VALUES
            (1, 'infant', -0.001, 1, '0-1 (Infant)'), (2, 'toddler', 1, 5, '1-4 (Toddler)'), (3, 'child', 5, 13, '5-12 (Child)'),
            (4, 'adolescent', 13, 18, '13-17 (Adolescent)'), (5, 'young_adult', 18, 26, '18-25 (Young Adult)'),
            (6, 'adult', 26, 45, '26-44 (Adult)'), (7, 'middle_age', 45, 65, '45-64 (Middle Age)'),
            (8, 'senior', 65, 120, '65+ (Senior)'), (9, 'invalid', NULL, NULL, 'Invalid Age');

        CREATE TABLE calendar_months (month_number INTEGER PRIMARY KEY, short_name TEXT NOT NULL, full_name TEXT NOT NULL);
        INSERT INTO calendar_months VALUES
            (1, 'Jan', 'January'), (2, 'Feb', 'February'), (3, 'Mar', 'March'), (4, 'Apr', 'April'), (5, 'May', 'May'),
            (6, 'Jun', 'June'), (7, 'Jul', 'July'), (8, 'Aug', 'August'), (9, 'Sep', 'September'), (10, 'Oct', 'October'),
            (11, 'Nov', 'November'), (12, 'Dec', 'December');

        CREATE TABLE dim_patients (
            patient_id TEXT PRIMARY KEY NOT NULL, birth_date TEXT, death_date TEXT, prefix TEXT, first_name TEXT, middle_name TEXT,
            last_name TEXT, suffix TEXT, maiden_name TEXT, marital_status TEXT, race TEXT, ethnicity TEXT, gender TEXT,
            birthplace TEXT, address TEXT, city TEXT, state TEXT, county TEXT, fips TEXT, zip_code TEXT, lat TEXT, lon TEXT,
            healthcare_expenses TEXT, healthcare_coverage TEXT, income TEXT, ingested_at TEXT) WITHOUT ROWID;
        CREATE TABLE dim_organizations (
            organization_id TEXT PRIMARY KEY NOT NULL, name TEXT, address TEXT, city TEXT, state TEXT, zip_code TEXT, lat TEXT,
            lon TEXT, phone TEXT, revenue TEXT, utilization INTEGER, ingested_at TEXT) WITHOUT ROWID;
        CREATE TABLE dim_providers (
            provider_id TEXT PRIMARY KEY NOT NULL, organization_id TEXT, name TEXT, gender TEXT, speciality TEXT, address TEXT,
            city TEXT, state TEXT, zip_code TEXT, lat TEXT, lon TEXT, ingested_at TEXT) WITHOUT ROWID;
        CREATE TABLE dim_conditions (
            condition_code TEXT NOT NULL, condition_description TEXT NOT NULL, condition_description_type TEXT NOT NULL,
            reference_count INTEGER NOT NULL,
            PRIMARY KEY (condition_code, condition_description, condition_description_type)) WITHOUT ROWID;
        CREATE TABLE dim_medications (
            medication_code TEXT NOT NULL, medication_description TEXT NOT NULL, reference_count INTEGER NOT NULL,
            PRIMARY KEY (medication_code, medication_description)) WITHOUT ROWID;
        CREATE TABLE fact_patient_encounters (
            encounter_id TEXT PRIMARY KEY NOT NULL, patient_id TEXT, organization_id TEXT, provider_id TEXT, payer_id TEXT,
            encounter_class TEXT, encounter_code TEXT, encounter_description TEXT, start_at TEXT, start_date TEXT, stop_at TEXT,
            stop_date TEXT, base_encounter_cost TEXT, total_claim_cost TEXT, payer_coverage TEXT, reason_code TEXT,
            reason_description TEXT, patient_age_at_encounter_start_years REAL, patient_age_at_encounter_stop_years REAL,
            encounter_duration_hours REAL, encounter_duration_days REAL, age_group_id INTEGER, age_group_name TEXT,
            age_group_description TEXT, ingested_at TEXT, days_between_encounters REAL) WITHOUT ROWID;
        CREATE TABLE fact_patient_encounter_readmissions (
            encounter_class TEXT NOT NULL, start_date TEXT NOT NULL, readmission_encounter_count INTEGER NOT NULL,
            encounter_count INTEGER NOT NULL, PRIMARY KEY (encounter_class, start_date)) WITHOUT ROWID;
        CREATE TABLE fact_patient_encounters_by_month (
            encounter_class TEXT NOT NULL, encounter_month TEXT NOT NULL, encounter_year_number INTEGER,
            encounter_month_number INTEGER, encounter_month_short_name TEXT, encounter_month_full_name TEXT,
            encounter_count INTEGER NOT NULL, total_claim_cost TEXT NOT NULL,
            PRIMARY KEY (encounter_class, encounter_month)) WITHOUT ROWID;
        CREATE TABLE fact_patient_conditions (
            encounter_id TEXT NOT NULL, condition_code TEXT NOT NULL, patient_id TEXT, condition_description TEXT,
            condition_description_type TEXT, start_date TEXT, stop_date TEXT, patient_age_at_condition_start_years REAL,
            patient_age_at_condition_stop_years REAL, condition_duration_hours REAL, age_group_id INTEGER, age_group_name TEXT,
            age_group_description TEXT, encounter_class TEXT, ingested_at TEXT,
            PRIMARY KEY (encounter_id, condition_code)) WITHOUT ROWID;
        CREATE TABLE fact_patient_medications (
            patient_medication_id TEXT PRIMARY KEY NOT NULL, patient_id TEXT, payer_id TEXT, encounter_id TEXT,
            medication_code TEXT, medication_description TEXT, base_cost TEXT, payer_coverage TEXT, dispenses INTEGER,
            total_cost TEXT, start_at TEXT, start_date TEXT, stop_at TEXT, stop_date TEXT, reason_code TEXT,
            reason_description TEXT, patient_age_at_medication_start_years REAL, patient_age_at_medication_stop_years REAL,
            medication_duration_hours REAL, age_group_id INTEGER, age_group_name TEXT, age_group_description TEXT,
            ingested_at TEXT) WITHOUT ROWID;
        CREATE TABLE fact_top_medications_by_patient_age_group (
            medication_code TEXT NOT NULL, medication_description TEXT NOT NULL, age_group_id INTEGER NOT NULL,
            start_date TEXT NOT NULL, age_group_name TEXT, age_group_description TEXT, total_dispenses INTEGER NOT NULL,
            medication_count INTEGER NOT NULL,
            PRIMARY KEY (medication_code, medication_description, age_group_id, start_date)) WITHOUT ROWID;
        """
        return sql
    }()

    /// Tables whose rows are wide (a few hundred bytes) and whose keys arrive in random order.
    public static let rowidTables = [
        "current_encounters", "current_conditions", "current_medications",
        "fact_patient_encounters", "fact_patient_conditions", "fact_patient_medications",
    ]

    /// Migration 6: the wide tables become row-id tables (their key a unique index), same
    /// columns and rows. SQLite advises WITHOUT ROWID only for rows under about 1/20 of a page:
    /// with these, a random key rewrites a page of whole rows on every insert, while a row-id
    /// table appends the row and only the narrow key index takes the random write (measured on
    /// `emr bench consume`: commit per batch 48 -> 15 ms). Built from the statements of
    /// ``version2``, so the columns cannot drift.
    static let version6: String = {
        var sql = ""
        for table in rowidTables {
            let create = "CREATE TABLE \(table) ("
            guard let start = version2.range(of: create), let end = version2.range(of: ") WITHOUT ROWID;", range: start.upperBound..<version2.endIndex)
            else { preconditionFailure("migration 2 declares no table \(table)") }
            let body = version2[start.upperBound..<end.lowerBound]
            sql += """
                CREATE TABLE \(table)_rowid (\(body));
                INSERT INTO \(table)_rowid SELECT * FROM \(table);
                DROP TABLE \(table);
                ALTER TABLE \(table)_rowid RENAME TO \(table);

                """
        }
        // Dropping the tables dropped their indexes: the same ones again.
        for line in version2.split(separator: "\n") where line.hasPrefix("CREATE INDEX ") { sql += line + "\n" }
        return sql
    }()

    /// The entities whose current versions have facts, with how a stored fact finds its current
    /// version (`f` the fact, `c` the current version; by an index of the current table).
    static let factEntities: [(entity: Entity, mart: MartDefinition, match: String)] = [
        (.encounters, MartCatalog.encounters, "c.natural_key = f.encounter_id"),
        (.conditions, MartCatalog.conditions, "c.encounter_id = f.encounter_id AND c.condition_code = f.condition_code"),
        (.medications, MartCatalog.medications, "c.patient_medication_id = f.patient_medication_id"),
    ]

    /// Rebuilds the current table of a fact entity as ``version9`` first made it (its columns in
    /// order, an encounter's `chain_id` last) with `key` in place of the natural key's primary
    /// key, copying every row; `added` names each column that `key` adds and what it is copied
    /// from. Ends with a newline; the table's indexes are the caller's to make again.
    private static func rebuildCurrentTable(_ entity: Entity, as suffix: String, key: String, added: [(column: String, from: String)]) -> String {
        let table = currentTable(entity)
        let keyed = createCurrentTable(entity)
            .replacingOccurrences(of: "CREATE TABLE \(table) (", with: "CREATE TABLE \(table)_\(suffix) (")
            .replacingOccurrences(of: "natural_key TEXT PRIMARY KEY NOT NULL", with: key)
            .replacingOccurrences(of: ") WITHOUT ROWID;", with: entity == .encounters ? ",\n    chain_id INTEGER\n);" : "\n);")
        var columns = currentColumns(entity)
        if entity == .conditions || entity == .medications { columns.append("counted_in_dim") }
        if entity == .encounters { columns.append("chain_id") }
        let list = columns.joined(separator: ", ")
        return """
            \(keyed)
            INSERT INTO \(table)_\(suffix) (\(added.map(\.column).joined(separator: ", ")), \(list)) SELECT \(added.map(\.from).joined(separator: ", ")), \(list) FROM \(table);
            DROP TABLE \(table);
            ALTER TABLE \(table)_\(suffix) RENAME TO \(table);

            """
    }

    /// Migration 9: each current version of an encounter, condition or medication gets a number,
    /// `key_id` (an explicit `INTEGER PRIMARY KEY`, so that no copy renumbers it: its old row id),
    /// kept while its natural key is current; its fact row is stored under that number
    /// (``MartDefinition/Storage/byKeyID``) and the facts lose their indexes on the grain. Those
    /// were keyed by random UUIDs, so every batch rewrote nearly every page of them once the state
    /// outgrew the page cache; fact rows are now found through the current version's key and
    /// written in key-id order (new ones append). Built from ``version2``'s columns and the
    /// declarations of this version; a fact without a current version (a merged state file has
    /// none) gets a number after all the others.
    static let version9: String = {
        var sql = ""
        for (entity, _, _) in factEntities {
            sql += rebuildCurrentTable(entity, as: "v9", key: "key_id INTEGER PRIMARY KEY,\n    natural_key TEXT NOT NULL UNIQUE",
                                       added: [("key_id", "rowid")])
        }
        sql += """
            CREATE INDEX current_encounters_chain ON current_encounters (chain_id, start_at);
            CREATE INDEX current_conditions_patient ON current_conditions (patient_id);
            CREATE INDEX current_conditions_encounter ON current_conditions (encounter_id);
            CREATE INDEX current_medications_patient ON current_medications (patient_id);
            CREATE INDEX temp_v9_medication_ids ON current_medications (patient_medication_id);

            """
        for (entity, mart, match) in factEntities {
            let columns = (mart.columns + mart.internalColumns).joined(separator: ", ")
            let stored = (mart.columns + mart.internalColumns).map { "f.\($0)" }.joined(separator: ", ")
            sql += """
                \(mart.createSQL(table: "\(mart.name)_v9"));
                INSERT INTO \(mart.name)_v9 (\(columns), key_id)
                    SELECT \(stored), c.key_id FROM \(mart.name) f JOIN \(currentTable(entity)) c ON \(match);
                INSERT INTO \(mart.name)_v9 (\(columns))
                    SELECT \(stored) FROM \(mart.name) f WHERE NOT EXISTS (SELECT 1 FROM \(currentTable(entity)) c WHERE \(match));
                DROP TABLE \(mart.name);
                ALTER TABLE \(mart.name)_v9 RENAME TO \(mart.name);

                """
        }
        return sql + "DROP INDEX temp_v9_medication_ids;\n"
    }()

    /// Migration 11: the current versions with key ids (``factEntities``) are found by
    /// ``KeyHash`` of their natural key (`key_hash`, indexed) instead of a unique index of the
    /// key's text: look-ups compare the key too, and the writer (``CurrentVersionStore``) inserts
    /// only keys it found absent. Each of those indexes was the largest of its table (at 6000
    /// patients 12.6, 9.9 and 7.1 MB against the 40 MiB page cache); the hash indexes are about
    /// a third to a tenth of that. Built from ``version9``'s tables (the same columns in the same
    /// order, `key_hash` after `natural_key`).
    static let version11: String = {
        var sql = ""
        for (entity, _, _) in factEntities {
            let table = currentTable(entity)
            sql += rebuildCurrentTable(entity, as: "v11", key: "key_id INTEGER PRIMARY KEY,\n    natural_key TEXT NOT NULL,\n    key_hash INTEGER NOT NULL",
                                       added: [("key_id", "key_id"), ("key_hash", "emr_key_hash(natural_key)")])
            sql += "CREATE INDEX \(table)_key_hash ON \(table) (key_hash);\n"
        }
        return sql + """
            CREATE INDEX current_encounters_chain ON current_encounters (chain_id, start_at);
            CREATE INDEX current_conditions_patient ON current_conditions (patient_id);
            CREATE INDEX current_conditions_encounter ON current_conditions (encounter_id);
            CREATE INDEX current_medications_patient ON current_medications (patient_id);

            """
    }()
}
