import State

extension MartMaintainer {
    /// The statements of incremental maintenance, prepared once per connection. In every
    /// statement about one fact, `?1` is its natural key.
    enum SQL {
        /// `INSERT` (or `INSERT OR REPLACE`) of the rows of record `?1` into a row-level mart,
        /// from the mart's declared derivation.
        private static func insertRows(of mart: MartDefinition, replacing: Bool = false) -> String {
            guard let select = mart.rowsSQL(key: "?1") else { preconditionFailure("\(mart.name) is not a row-level mart") }
            return "INSERT \(replacing ? "OR REPLACE " : "")INTO \(mart.name) \(select)"
        }
        static let replacePatient = SQLText(insertRows(of: MartCatalog.dimPatients, replacing: true))
        static let replaceOrganization = SQLText(insertRows(of: MartCatalog.dimOrganizations, replacing: true))
        static let replaceProvider = SQLText(insertRows(of: MartCatalog.dimProviders, replacing: true))

        static let birthDate = SQLText("SELECT birth_date FROM current_patients WHERE natural_key = ?1")

        // Dependents.
        static let conditionsOfEncounter = SQLText("SELECT natural_key FROM current_conditions WHERE encounter_id = ?1")
        static let encountersOfPatient = SQLText("SELECT natural_key FROM current_encounters WHERE patient_id = ?1")
        static let conditionsOfPatient = SQLText("""
            SELECT natural_key FROM current_conditions WHERE patient_id = ?1
            UNION SELECT c.natural_key FROM current_encounters e JOIN current_conditions c ON c.encounter_id = e.natural_key
            WHERE e.patient_id = ?1
            """)
        static let medicationsOfPatient = SQLText("SELECT natural_key FROM current_medications WHERE patient_id = ?1")
        static let chainPosition = SQLText("SELECT patient_id, organization_id, class_name, start_at FROM current_encounters WHERE natural_key = ?1")
        static let nextInChain = SQLText("""
            SELECT natural_key FROM current_encounters WHERE patient_id = :patient AND organization_id = :organization AND class_name = :class
              AND start_at = (SELECT min(start_at) FROM current_encounters
                              WHERE patient_id = :patient AND organization_id = :organization AND class_name = :class AND start_at > :start)
            """)

        // RETURNING lists plain columns only: SQLite 3.40 (Debian 12) evaluates comparisons and
        // IS NULL tests in a RETURNING clause wrongly (`30 <= 7` comes back true), so anything
        // derived is computed by the caller.

        /// What an encounter fact adds to the aggregates: class, start date, days between
        /// encounters, claim cost, age group, patient, start, stop.
        private static let encounterContribution = """
            RETURNING encounter_class, start_date, days_between_encounters, total_claim_cost, age_group_id, patient_id, start_at, stop_at
            """
        /// What a medication fact adds to the top medications: code, description, age group,
        /// start date, dispenses.
        private static let medicationContribution = "RETURNING medication_code, medication_description, age_group_id, start_date, dispenses"

        // Facts (RETURNING their contribution).
        static let insertEncounterFact = SQLText("\(insertRows(of: MartCatalog.encounters)) \(encounterContribution)")
        /// An encounter fact's readmission group (class, start date) and days between.
        static let encounterDaysBetween = SQLText(
            "SELECT encounter_class, start_date, days_between_encounters FROM fact_patient_encounters WHERE encounter_id = ?1")
        /// An encounter fact whose previous encounter changed: the days between again, returned.
        static let refreshDaysBetween = SQLText("""
            UPDATE fact_patient_encounters SET days_between_encounters =
                (SELECT \(MartQueries.daysBetweenEncounters("e")) FROM current_encounters e WHERE e.natural_key = ?1)
            WHERE encounter_id = ?1
            RETURNING days_between_encounters
            """)
        static let deleteEncounterFact = SQLText("DELETE FROM fact_patient_encounters WHERE encounter_id = ?1 \(encounterContribution)")
        static let insertConditionFact = SQLText(insertRows(of: MartCatalog.conditions))
        static let deleteConditionFact = SQLText("DELETE FROM fact_patient_conditions WHERE encounter_id = ?1 AND condition_code = ?2")
        static let insertMedicationFact = SQLText("\(insertRows(of: MartCatalog.medications)) \(medicationContribution)")
        static let deleteMedicationFact = SQLText("DELETE FROM fact_patient_medications WHERE patient_medication_id = ?1 \(medicationContribution)")

        // Distinct dimensions: a current condition or medication counts once while its patient is
        // present. Counting is idempotent (`counted_in_dim = 0`): the conditions of a new
        // encounter, counted already, are applied again without having been retracted.
        static let currentCondition = SQLText("""
            SELECT encounter_id, condition_code, coalesce(condition_description, ''), condition_description_type, counted_in_dim
            FROM current_conditions WHERE natural_key = ?1
            """)
        static let countCondition = SQLText("""
            UPDATE current_conditions SET counted_in_dim = 1 WHERE natural_key = ?1 AND counted_in_dim = 0
              AND EXISTS (SELECT 1 FROM current_patients p WHERE p.natural_key = current_conditions.patient_id)
            RETURNING condition_code, condition_description, condition_description_type
            """)
        static let uncountCondition = SQLText("UPDATE current_conditions SET counted_in_dim = 0 WHERE natural_key = ?1")
        static let currentMedication = SQLText("""
            SELECT patient_medication_id, medication_code, coalesce(medication_description, ''), counted_in_dim
            FROM current_medications WHERE natural_key = ?1
            """)
        static let countMedication = SQLText("""
            UPDATE current_medications SET counted_in_dim = 1 WHERE natural_key = ?1 AND counted_in_dim = 0
            RETURNING medication_code, medication_description
            """)
        static let uncountMedication = SQLText("UPDATE current_medications SET counted_in_dim = 0 WHERE natural_key = ?1")
    }
}
