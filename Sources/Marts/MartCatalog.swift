/// The 11 marts, each declared once, in dependency order (dimensions, then facts, then
/// aggregates): what `emr verify` computes first is there when a later batch definition reads it.
public enum MartCatalog {
    public static let dimPatients = currentVersionDimension("dim_patients", of: "patients", [
        .text("patient_id"), .date("birth_date"), .date("death_date"), .text("prefix"), .text("first_name"), .text("middle_name"),
        .text("last_name"), .text("suffix"), .text("maiden_name"), .text("marital_status"), .text("race"), .text("ethnicity"),
        .text("gender"), .text("birthplace"), .text("address"), .text("city"), .text("state"), .text("county"), .text("fips"),
        .text("zip_code"), .decimal("lat"), .decimal("lon"), .decimal("healthcare_expenses"), .decimal("healthcare_coverage"),
        .decimal("income"), .timestamp("ingested_at"),
    ])
    public static let dimOrganizations = currentVersionDimension("dim_organizations", of: "organizations", [
        .text("organization_id"), .text("name"), .text("address"), .text("city"), .text("state"), .text("zip_code"), .decimal("lat"),
        .decimal("lon"), .text("phone"), .decimal("revenue"), .integer("utilization"), .timestamp("ingested_at"),
    ])
    public static let dimProviders = currentVersionDimension("dim_providers", of: "providers", [
        .text("provider_id"), .text("organization_id"), .text("name"), .text("gender"), .text("speciality"), .text("address"),
        .text("city"), .text("state"), .text("zip_code"), .decimal("lat"), .decimal("lon"), .timestamp("ingested_at"),
    ])
    public static let dimConditions = MartDefinition(
        "dim_conditions", .dimension, grain: ["condition_code", "condition_description", "condition_description_type"],
        columns: [.text("condition_code"), .text("condition_description"), .text("condition_description_type")],
        hidden: [.integer("reference_count").required],
        derivation: .groups({ _ in MartQueries.dimConditionsBatch }, combine: ["reference_count": "sum(reference_count)"]))
    public static let dimMedications = MartDefinition(
        "dim_medications", .dimension, grain: ["medication_code", "medication_description"],
        columns: [.text("medication_code"), .text("medication_description")], hidden: [.integer("reference_count").required],
        derivation: .groups({ _ in MartQueries.dimMedicationsBatch }, combine: ["reference_count": "sum(reference_count)"]))
    public static let encounters = MartDefinition(
        "fact_patient_encounters", .fact, grain: ["encounter_id"], columns: [
            .text("encounter_id"), .text("patient_id"), .text("organization_id"), .text("provider_id"), .text("payer_id"),
            .text("encounter_class"), .text("encounter_code"), .text("encounter_description"), .timestamp("start_at"), .date("start_date"),
            .timestamp("stop_at"), .date("stop_date"), .decimal("base_encounter_cost"), .decimal("total_claim_cost"),
            .decimal("payer_coverage"), .text("reason_code"), .text("reason_description"), .double("patient_age_at_encounter_start_years"),
            .double("patient_age_at_encounter_stop_years"), .double("encounter_duration_hours"), .double("encounter_duration_days"),
            .integer("age_group_id"), .text("age_group_name"), .text("age_group_description"), .timestamp("ingested_at"),
            .double("days_between_encounters"),
        ], storage: .byKeyID,
        derivation: .rows { filter, _ in MartQueries.encounters(filter) })
    public static let readmissions = MartDefinition(
        "fact_patient_encounter_readmissions", .aggregate, grain: ["encounter_class", "start_date"], columns: [
            .text("encounter_class"), .date("start_date"), .integer("readmission_encounter_count").required,
            .integer("encounter_count").required,
        ],
        // The dashboard's figures per class and start date (``ReportSummaries``), kept at the
        // same grain: the exact claim cost, and the summed duration in whole seconds of the
        // encounters with a stop.
        hidden: [.decimal("total_claim_cost"), .integer("duration_seconds").required, .integer("duration_count").required],
        derivation: .groups({ MartQueries.readmissionsBatch(encounterFacts: $0.encounterFacts, windowDays: $0.readmissionWindowDays) },
                            combine: ["readmission_encounter_count": "sum(readmission_encounter_count)", "encounter_count": "sum(encounter_count)",
                                      "total_claim_cost": "emr_decimal_sum(total_claim_cost)", "duration_seconds": "sum(duration_seconds)",
                                      "duration_count": "sum(duration_count)"]))
    public static let encountersByMonth = MartDefinition(
        "fact_patient_encounters_by_month", .aggregate, grain: ["encounter_class", "encounter_month"], columns: [
            .text("encounter_class"), .date("encounter_month"), .integer("encounter_year_number"), .integer("encounter_month_number"),
            .text("encounter_month_short_name"), .text("encounter_month_full_name"), .integer("encounter_count").required,
            .decimal("total_claim_cost").required,
        ],
        derivation: .groups({ MartQueries.byMonthBatch(encounterFacts: $0.encounterFacts) },
                            combine: ["encounter_count": "sum(encounter_count)", "total_claim_cost": "emr_decimal_sum(total_claim_cost)"]))
    public static let conditions = MartDefinition(
        "fact_patient_conditions", .fact, grain: ["encounter_id", "condition_code"], columns: [
            .text("encounter_id"), .text("condition_code"), .text("patient_id"), .text("condition_description"),
            .text("condition_description_type"), .date("start_date"), .date("stop_date"), .double("patient_age_at_condition_start_years"),
            .double("patient_age_at_condition_stop_years"), .double("condition_duration_hours"), .integer("age_group_id"),
            .text("age_group_name"), .text("age_group_description"), .text("encounter_class"), .timestamp("ingested_at"),
        ], storage: .byKeyID,
        derivation: .rows { filter, inputs in MartQueries.conditions(filter: MartQueries.onlyByKeyID(filter, in: "c", of: "current_conditions"), encounterFacts: inputs.encounterFacts) })
    public static let medications = MartDefinition(
        "fact_patient_medications", .fact, grain: ["patient_medication_id"], columns: [
            .text("patient_medication_id"), .text("patient_id"), .text("payer_id"), .text("encounter_id"), .text("medication_code"),
            .text("medication_description"), .decimal("base_cost"), .decimal("payer_coverage"), .integer("dispenses"),
            .decimal("total_cost"), .timestamp("start_at"), .date("start_date"), .timestamp("stop_at"), .date("stop_date"),
            .text("reason_code"), .text("reason_description"), .double("patient_age_at_medication_start_years"),
            .double("patient_age_at_medication_stop_years"), .double("medication_duration_hours"), .integer("age_group_id"),
            .text("age_group_name"), .text("age_group_description"), .timestamp("ingested_at"),
        ], storage: .byKeyID,
        derivation: .rows { filter, _ in MartQueries.medications(filter: MartQueries.onlyByKeyID(filter, in: "m", of: "current_medications")) })
    public static let topMedications = MartDefinition(
        "fact_top_medications_by_patient_age_group", .aggregate,
        grain: ["medication_code", "medication_description", "age_group_id", "start_date"], columns: [
            .text("medication_code"), .text("medication_description"), .integer("age_group_id"), .date("start_date"),
            .text("age_group_name"), .text("age_group_description"), .integer("total_dispenses").required,
        ], hidden: [.integer("medication_count").required],
        derivation: .groups({ MartQueries.topMedicationsBatch(medicationFacts: $0.medicationFacts) },
                            combine: ["total_dispenses": "sum(total_dispenses)", "medication_count": "sum(medication_count)"]))

    public static let all: [MartDefinition] = [
        dimPatients, dimOrganizations, dimProviders, dimConditions, dimMedications, encounters, readmissions, encountersByMonth,
        conditions, medications, topMedications,
    ]

    public static func named(_ name: String) -> MartDefinition? { all.first { $0.name == name } }

    /// A dimension that copies the current version of each record of `entity` (its first
    /// column is the record's natural key).
    private static func currentVersionDimension(_ name: String, of entity: String, _ columns: [MartColumn]) -> MartDefinition {
        let names = columns.map(\.name)
        return MartDefinition(name, .dimension, grain: [names[0]], columns: columns, derivation: .rows { filter, _ in
            MartQueries.dimension(names, from: entity, filter: MartQueries.only(filter, in: nil))
        })
    }
}
