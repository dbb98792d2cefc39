import State
import Synthea

extension MartMaintainer {
    /// The statements of set-based maintenance, prepared once per connection: each works on
    /// the whole batch through the connection's temporary tables (``Work``). Joins start from
    /// the batch's small tables (`CROSS JOIN` fixes SQLite's loop order: without statistics it
    /// would scan a whole current-version table instead), so no statement reads more than what
    /// the batch touches (held by a test).
    enum SQL {
        /// The temporary tables of a batch, emptied before and after each (``clear``).
        enum Work {
            /// The current versions one write replaces or adds, per entity: natural keys, or the
            /// key ids (``MartDefinition/keyIDColumn``) of the fact entities (``facts``), which
            /// the writer knows without looking their keys up.
            static func changed(_ entity: String) -> String { "temp.batch_changed_\(entity)" }
            /// Key ids of those of them that had a stored version (only they have old state to
            /// read or retract), per fact entity.
            static func existing(_ entity: String) -> String { "temp.batch_existing_\(entity)" }
            /// Key ids (``MartDefinition/keyIDColumn``) of the facts to rebuild, per fact entity:
            /// every later statement reads the current versions and facts by them, in table order.
            static func rebuilt(_ entity: String) -> String { "temp.batch_rebuilt_\(entity)" }
            /// Those of them that may have a fact row to retract (not a key new in this batch).
            static func retracted(_ entity: String) -> String { "temp.batch_retracted_\(entity)" }
            static let previousPatients = "temp.batch_previous_patients"
            /// Patients whose facts all change: new ones, and those whose birth date changed.
            static let refreshedPatients = "temp.batch_refreshed_patients"
            /// Encounters whose previous encounter may have changed (only their days between do), by key id.
            static let successors = "temp.batch_successors"
            static let encounterContributions = "temp.batch_encounter_contributions"
            static let medicationContributions = "temp.batch_medication_contributions"
            static let conditionReferences = "temp.batch_condition_references"
            static let medicationReferences = "temp.batch_medication_references"

            static let entities = ["patients", "organizations", "providers", "encounters", "conditions", "medications"]
            static let facts = ["encounters", "conditions", "medications"]

            /// The tables of natural keys...
            static var keyTables: [String] { entities.filter { !facts.contains($0) }.map(changed) + [refreshedPatients] }
            /// ...and of key ids.
            static var keyIDTables: [String] { facts.map(changed) + facts.map(existing) + facts.map(rebuilt) + facts.map(retracted) + [successors] }
            static var all: [String] {
                keyTables + keyIDTables + [previousPatients, encounterContributions, medicationContributions, conditionReferences, medicationReferences]
            }

            /// `CREATE TEMP TABLE` for every table (where they live: `temp_store`, set by the caller).
            static let create: String = {
                var sql = keyTables.map { "CREATE TEMP TABLE IF NOT EXISTS \(bare($0)) (natural_key TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;" }
                sql += keyIDTables.map { "CREATE TEMP TABLE IF NOT EXISTS \(bare($0)) (key_id INTEGER PRIMARY KEY);" }
                sql += [
                    "CREATE TEMP TABLE IF NOT EXISTS \(bare(previousPatients)) (natural_key TEXT PRIMARY KEY NOT NULL, existed INTEGER NOT NULL, birth_date TEXT) WITHOUT ROWID;",
                    """
                    CREATE TEMP TABLE IF NOT EXISTS \(bare(encounterContributions)) (sign INTEGER NOT NULL, encounter_class TEXT, start_date TEXT,
                        readmission INTEGER NOT NULL, total_claim_cost TEXT, age_group_id INTEGER, patient_id TEXT, duration_seconds INTEGER NOT NULL,
                        has_stop INTEGER NOT NULL);
                    """,
                    """
                    CREATE TEMP TABLE IF NOT EXISTS \(bare(medicationContributions)) (sign INTEGER NOT NULL, medication_code TEXT,
                        medication_description TEXT, age_group_id INTEGER, start_date TEXT, dispenses INTEGER NOT NULL);
                    """,
                    """
                    CREATE TEMP TABLE IF NOT EXISTS \(bare(conditionReferences)) (sign INTEGER NOT NULL, condition_code TEXT,
                        condition_description TEXT, condition_description_type TEXT);
                    """,
                    "CREATE TEMP TABLE IF NOT EXISTS \(bare(medicationReferences)) (sign INTEGER NOT NULL, medication_code TEXT, medication_description TEXT);",
                ]
                return sql.joined(separator: "\n")
            }()

            static let clear = all.map { SQLText("DELETE FROM \($0)") }
            /// What one write of versions notes for itself only; the rest gathers for the whole batch.
            static let clearWritten = (entities.map(changed) + facts.map(existing) + [previousPatients]).map { SQLText("DELETE FROM \($0)") }

            private static func bare(_ table: String) -> String { String(table.dropFirst("temp.".count)) }
        }

        /// Notes the natural key of a changed version (``Work/changed(_:)``) of an entity
        /// without key ids, by ``Entity/ordinal``; nil for the others.
        static let changedKey: [SQLText?] = Entity.allCases.map { entity in
            CurrentVersionStore.hasKeyIDs(entity) ? nil : SQLText("INSERT OR IGNORE INTO \(Work.changed(entity.rawValue)) (natural_key) VALUES (?1)")
        }
        /// Notes the key ids of the changed versions (``Work/changed(_:)``) of a fact entity,
        /// given as one JSON array (`?1`, ``jsonArray(_:)``): one statement per write rather than
        /// one per key. By ``Entity/ordinal``; nil for the entities without key ids.
        static let changedKeyIDs: [SQLText?] = Entity.allCases.map { entity in
            CurrentVersionStore.hasKeyIDs(entity) ? SQLText("INSERT OR IGNORE INTO \(Work.changed(entity.rawValue)) (key_id) SELECT value FROM json_each(?1)") : nil
        }
        /// The same for the key ids of the replaced stored versions (``Work/existing(_:)``).
        static let existingKeyIDs: [SQLText?] = Entity.allCases.map { entity in
            CurrentVersionStore.hasKeyIDs(entity) ? SQLText("INSERT OR IGNORE INTO \(Work.existing(entity.rawValue)) (key_id) SELECT value FROM json_each(?1)") : nil
        }

        /// Key ids as a JSON array, for ``changedKeyIDs`` and ``existingKeyIDs``.
        static func jsonArray(_ keyIDs: some Sequence<Int64>) -> SQLiteValue {
            .text("[" + keyIDs.map(String.init).joined(separator: ",") + "]")
        }

        private static func keys(_ table: String) -> String { "SELECT natural_key FROM \(table)" }
        private static func keyIDs(_ table: String) -> String { "SELECT key_id FROM \(table)" }

        // MARK: Before the current versions are replaced

        /// The encounters next in the chain of each encounter in `encounters` (same patient,
        /// organization and class: the same ``EncounterChains`` number; at the first start
        /// after it). Run before the new versions are written (the old places of those that had
        /// one) and after (every new place).
        private static func chainSuccessors(of encounters: String) -> SQLText {
            SQLText("""
                INSERT OR IGNORE INTO \(Work.successors) (key_id)
                SELECT n.key_id FROM \(encounters) k
                    CROSS JOIN current_encounters e ON e.key_id = k.key_id
                    CROSS JOIN current_encounters n ON n.chain_id = e.chain_id
                        AND n.start_at = (SELECT min(o.start_at) FROM current_encounters o WHERE o.chain_id = e.chain_id AND o.start_at > e.start_at)
                """)
        }
        static let oldChainSuccessors = chainSuccessors(of: Work.existing("encounters"))
        static let newChainSuccessors = chainSuccessors(of: Work.changed("encounters"))

        /// Whether each changed patient existed, and its birth date.
        static let previousPatients = SQLText("""
            INSERT INTO \(Work.previousPatients) (natural_key, existed, birth_date)
            SELECT k.natural_key, p.natural_key IS NOT NULL, p.birth_date
            FROM \(Work.changed("patients")) k LEFT JOIN current_patients p ON p.natural_key = k.natural_key
            """)

        /// A changed condition or medication gives its reference back to the distinct dimension
        /// (its description may change); it is counted again below while its patient is present.
        static let releaseConditionReferences = SQLText("""
            INSERT INTO \(Work.conditionReferences) (sign, condition_code, condition_description, condition_description_type)
            SELECT -1, condition_code, coalesce(condition_description, ''), condition_description_type FROM current_conditions
            WHERE key_id IN (\(keyIDs(Work.existing("conditions")))) AND counted_in_dim = 1
            """)
        static let uncountConditions = SQLText("""
            UPDATE current_conditions SET counted_in_dim = 0 WHERE key_id IN (\(keyIDs(Work.existing("conditions")))) AND counted_in_dim = 1
            """)
        static let releaseMedicationReferences = SQLText("""
            INSERT INTO \(Work.medicationReferences) (sign, medication_code, medication_description)
            SELECT -1, medication_code, coalesce(medication_description, '') FROM current_medications
            WHERE key_id IN (\(keyIDs(Work.existing("medications")))) AND counted_in_dim = 1
            """)
        static let uncountMedications = SQLText("""
            UPDATE current_medications SET counted_in_dim = 0 WHERE key_id IN (\(keyIDs(Work.existing("medications")))) AND counted_in_dim = 1
            """)

        // MARK: After: what depends on the changes

        /// Dimensions that copy a current version are replaced whole.
        static let replaceDimensions: [SQLText] = [
            (MartCatalog.dimPatients, "patients"), (MartCatalog.dimOrganizations, "organizations"), (MartCatalog.dimProviders, "providers"),
        ].map { mart, entity in SQLText("INSERT OR REPLACE INTO \(mart.name) \(mart.rowsSQL(keysIn: Work.changed(entity))!)") }

        static let refreshedPatients = SQLText("""
            INSERT OR IGNORE INTO \(Work.refreshedPatients) (natural_key)
            SELECT o.natural_key FROM \(Work.previousPatients) o CROSS JOIN current_patients p ON p.natural_key = o.natural_key
            WHERE NOT o.existed OR p.birth_date IS NOT o.birth_date
            """)

        /// At each write: every fact of a changed record goes to the facts to rebuild and, unless
        /// it is a key new in the batch so far (which has no fact yet), to the facts to retract.
        static let collectChanged: [SQLText] = Work.facts.flatMap { fact in
            ["INSERT OR IGNORE INTO \(Work.rebuilt(fact)) (key_id) \(keyIDs(Work.changed(fact)))",
             "INSERT OR IGNORE INTO \(Work.retracted(fact)) (key_id) \(keyIDs(Work.existing(fact)))"]
        }.map(SQLText.init)

        /// When the batch ends, in order: every fact of a refreshed patient, the conditions of the
        /// encounters to rebuild (they join the encounter's fact), then (``addSuccessors``) the
        /// encounters after a changed one in its chain (their conditions do not change).
        static let collectDependents: [SQLText] = {
            let ofRefreshedPatients = { (fact: String, alias: String) in
                "SELECT \(alias).key_id FROM \(Work.refreshedPatients) r CROSS JOIN current_\(fact) \(alias) ON \(alias).patient_id = r.natural_key"
            }
            // A patient's encounters through its chains (every staged encounter has one: its
            // patient, organization and class are required), by the chains' numbers.
            let encountersOfRefreshedPatients = """
                SELECT e.key_id FROM \(Work.refreshedPatients) r CROSS JOIN encounter_chains h ON h.patient_id = r.natural_key
                    CROSS JOIN current_encounters e ON e.chain_id = h.chain_id
                """
            // A condition fact joins its encounter's fact: an encounter new in this batch has
            // none, so neither have its conditions.
            let conditionsOf = { (encounters: String) in
                """
                SELECT c.key_id FROM \(encounters) k CROSS JOIN current_encounters e ON e.key_id = k.key_id
                    CROSS JOIN current_conditions c ON c.encounter_id = e.natural_key
                """
            }
            let statements: [String] = both("encounters", encountersOfRefreshedPatients)
                + ["INSERT OR IGNORE INTO \(Work.rebuilt("conditions")) \(conditionsOf(Work.rebuilt("encounters")))",
                   "INSERT OR IGNORE INTO \(Work.retracted("conditions")) \(conditionsOf(Work.retracted("encounters")))"]
                + both("conditions", ofRefreshedPatients("conditions", "c")) + both("medications", ofRefreshedPatients("medications", "m"))
            return statements.map(SQLText.init)
        }()
        static let addSuccessors = both("encounters", keyIDs(Work.successors)).map(SQLText.init)

        /// Inserts the key ids `select` yields into both the facts to rebuild and to retract.
        private static func both(_ fact: String, _ select: String) -> [String] {
            ["INSERT OR IGNORE INTO \(Work.rebuilt(fact)) \(select)", "INSERT OR IGNORE INTO \(Work.retracted(fact)) \(select)"]
        }

        // MARK: Retraction (from the stored fact rows) and application (from the current versions)

        /// The statements that retract and rebuild one fact table for a batch.
        struct FactStatements {
            /// What the stored rows of the facts to retract contributed, signed -1 (nil when no
            /// aggregate reads this fact).
            let retracted: SQLText?
            /// What the rebuilt rows contribute, signed +1.
            let applied: SQLText?
            let delete: SQLText
            let insert: SQLText
        }

        /// `rows(keys)`: the condition selecting the fact rows of the key ids in table `keys`;
        /// `contributions`: the contribution table, its columns after `sign`, and their
        /// values from the fact row.
        private static func fact(_ mart: MartDefinition, of entity: String,
                                 contributions: (table: String, columns: String, values: String)?) -> FactStatements {
            let rows = { (keys: String) in "key_id IN (\(keyIDs(keys)))" }
            func contributed(_ sign: Int, _ keys: String) -> SQLText? {
                contributions.map {
                    SQLText("INSERT INTO \($0.table) (sign, \($0.columns)) SELECT \(sign), \($0.values) FROM \(mart.name) WHERE \(rows(keys))")
                }
            }
            return FactStatements(
                retracted: contributed(-1, Work.retracted(entity)), applied: contributed(1, Work.rebuilt(entity)),
                delete: SQLText("DELETE FROM \(mart.name) WHERE \(rows(Work.retracted(entity)))"),
                insert: SQLText("INSERT INTO \(mart.name) \(mart.rowsSQL(keyIDsIn: Work.rebuilt(entity))!)"))
        }

        /// Encounter facts; what one adds to the aggregates: the readmission flag as in
        /// ``MartQueries/readmissionFlag(windowDays:)`` (window `?1`), the duration as in
        /// ``ReportSummaries/durationSeconds``.
        static let encounterFacts = fact(MartCatalog.encounters, of: "encounters", contributions: (
            Work.encounterContributions,
            "encounter_class, start_date, readmission, total_claim_cost, age_group_id, patient_id, duration_seconds, has_stop",
            """
            encounter_class, start_date, coalesce(days_between_encounters <= ?1, 0), total_claim_cost, age_group_id, patient_id,
                CASE WHEN stop_at IS NULL THEN 0 ELSE \(ReportSummaries.durationSeconds) END, stop_at IS NOT NULL
            """))
        /// Condition facts.
        static let conditionFacts = fact(MartCatalog.conditions, of: "conditions", contributions: nil)
        /// Medication facts; what one adds to the top medications.
        static let medicationFacts = fact(MartCatalog.medications, of: "medications", contributions: (
            Work.medicationContributions, "medication_code, medication_description, age_group_id, start_date, dispenses",
            "medication_code, coalesce(medication_description, ''), age_group_id, start_date, coalesce(dispenses, 0)"))

        // Distinct dimensions: a current condition or medication counts once while its patient is
        // present (`counted_in_dim` says whether it does).
        private static func uncounted(_ entity: String, as alias: String) -> String {
            """
            \(alias).key_id IN (\(keyIDs(Work.rebuilt(entity)))) AND \(alias).counted_in_dim = 0
              AND EXISTS (SELECT 1 FROM current_patients p WHERE p.natural_key = \(alias).patient_id)
            """
        }
        static let countConditionReferences = SQLText("""
            INSERT INTO \(Work.conditionReferences) (sign, condition_code, condition_description, condition_description_type)
            SELECT 1, c.condition_code, coalesce(c.condition_description, ''), c.condition_description_type
            FROM current_conditions c WHERE \(uncounted("conditions", as: "c"))
            """)
        /// The same rows, flagged in one pass (each is looked up once, by its key).
        static let countConditions = SQLText("UPDATE current_conditions AS c SET counted_in_dim = 1 WHERE \(uncounted("conditions", as: "c"))")
        static let countMedicationReferences = SQLText("""
            INSERT INTO \(Work.medicationReferences) (sign, medication_code, medication_description)
            SELECT 1, m.medication_code, coalesce(m.medication_description, '')
            FROM current_medications m WHERE \(uncounted("medications", as: "m"))
            """)
        static let countMedications = SQLText("UPDATE current_medications AS m SET counted_in_dim = 1 WHERE \(uncounted("medications", as: "m"))")
    }
}
