/// One mart of spec section 7: its table, the exported columns (grain first, then the spec's
/// content columns in order) and bookkeeping columns that are never exported.
public struct MartDefinition: Sendable, Hashable {
    public var name: String
    public var grain: [String]
    public var columns: [String]
    /// Reference counts kept to know when an aggregate row disappears.
    public var internalColumns: [String]

    init(_ name: String, grain: [String], content: [String], hidden: [String] = []) {
        self.name = name
        self.grain = grain
        self.columns = grain + content.filter { !grain.contains($0) }
        self.internalColumns = hidden
    }
}

/// The 11 marts, in dependency order (dimensions, then facts, then aggregates).
public enum MartCatalog {
    public static let dimPatients = MartDefinition("dim_patients", grain: ["patient_id"], content: [
        "birth_date", "death_date", "prefix", "first_name", "middle_name", "last_name", "suffix", "maiden_name", "marital_status",
        "race", "ethnicity", "gender", "birthplace", "address", "city", "state", "county", "fips", "zip_code", "lat", "lon",
        "healthcare_expenses", "healthcare_coverage", "income", "ingested_at",
    ])
    public static let dimOrganizations = MartDefinition("dim_organizations", grain: ["organization_id"], content: [
        "name", "address", "city", "state", "zip_code", "lat", "lon", "phone", "revenue", "utilization", "ingested_at",
    ])
    public static let dimProviders = MartDefinition("dim_providers", grain: ["provider_id"], content: [
        "organization_id", "name", "gender", "speciality", "address", "city", "state", "zip_code", "lat", "lon", "ingested_at",
    ])
    public static let dimConditions = MartDefinition(
        "dim_conditions", grain: ["condition_code", "condition_description", "condition_description_type"], content: [],
        hidden: ["reference_count"])
    public static let dimMedications = MartDefinition(
        "dim_medications", grain: ["medication_code", "medication_description"], content: [], hidden: ["reference_count"])
    public static let encounters = MartDefinition("fact_patient_encounters", grain: ["encounter_id"], content: [
        "patient_id", "organization_id", "provider_id", "payer_id", "encounter_class", "encounter_code", "encounter_description",
        "start_at", "start_date", "stop_at", "stop_date", "base_encounter_cost", "total_claim_cost", "payer_coverage", "reason_code",
        "reason_description", "patient_age_at_encounter_start_years", "patient_age_at_encounter_stop_years", "encounter_duration_hours",
        "encounter_duration_days", "age_group_id", "age_group_name", "age_group_description", "ingested_at", "days_between_encounters",
    ])
    public static let readmissions = MartDefinition(
        "fact_patient_encounter_readmissions", grain: ["encounter_class", "start_date"],
        content: ["readmission_encounter_count", "encounter_count"])
    public static let encountersByMonth = MartDefinition(
        "fact_patient_encounters_by_month", grain: ["encounter_class", "encounter_month"], content: [
            "encounter_month", "encounter_year_number", "encounter_month_number", "encounter_month_short_name",
            "encounter_month_full_name", "encounter_count", "total_claim_cost",
        ])
    public static let conditions = MartDefinition("fact_patient_conditions", grain: ["encounter_id", "condition_code"], content: [
        "patient_id", "encounter_id", "condition_code", "condition_description", "condition_description_type", "start_date", "stop_date",
        "patient_age_at_condition_start_years", "patient_age_at_condition_stop_years", "condition_duration_hours", "age_group_id",
        "age_group_name", "age_group_description", "encounter_class", "ingested_at",
    ])
    public static let medications = MartDefinition("fact_patient_medications", grain: ["patient_medication_id"], content: [
        "patient_id", "payer_id", "encounter_id", "medication_code", "medication_description", "base_cost", "payer_coverage",
        "dispenses", "total_cost", "start_at", "start_date", "stop_at", "stop_date", "reason_code", "reason_description",
        "patient_age_at_medication_start_years", "patient_age_at_medication_stop_years", "medication_duration_hours", "age_group_id",
        "age_group_name", "age_group_description", "ingested_at",
    ])
    public static let topMedications = MartDefinition(
        "fact_top_medications_by_patient_age_group", grain: ["medication_code", "medication_description", "age_group_id", "start_date"],
        content: ["age_group_name", "age_group_description", "total_dispenses"], hidden: ["medication_count"])

    public static let all: [MartDefinition] = [
        dimPatients, dimOrganizations, dimProviders, dimConditions, dimMedications, encounters, readmissions, encountersByMonth,
        conditions, medications, topMedications,
    ]

    public static func named(_ name: String) -> MartDefinition? { all.first { $0.name == name } }
}
