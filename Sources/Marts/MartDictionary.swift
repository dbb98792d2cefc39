/// The data dictionary of the marts (`emr marts describe`, `docs/marts.md`): for every column
/// of every ``MartCatalog`` mart its meaning, source field and the rule deriving it, and each
/// mart's summary and lineage; types and kinds come from the marts' declarations. A test fails
/// when a mart column has no entry here.
public enum MartDictionary {
    /// One column, documented.
    public struct Column: Sendable, Equatable {
        /// `text`, `date`, `timestamp`, `decimal` (exact), `integer` or `double`: the declared
        /// type (``MartColumn/ValueType``).
        public var type: String = ""
        public var meaning: String
        /// The Synthea field(s) it comes from (`entity.FIELD`), or `derived`.
        public var source: String
        /// How it is derived (spec section), empty when copied as it is.
        public var rule: String

        init(_ meaning: String, _ source: String, _ rule: String = "") {
            self.meaning = meaning
            self.source = source
            self.rule = rule
        }
    }

    /// One mart, documented.
    public struct Mart: Sendable {
        /// `dimension`, `fact` or `aggregate` (the declared ``MartDefinition/Kind``).
        public var kind: String = ""
        public var summary: String
        /// Where its rows come from: raw topics, and marts it is computed from.
        public var topics: [String]
        public var fromMarts: [String]
    }

    /// The entry of `column` in `mart`, nil when undocumented.
    public static func column(_ mart: MartDefinition, _ column: String) -> Column? {
        guard let type = mart.type(of: column), var entry = perMart[mart.name]?[column] ?? shared[column] else { return nil }
        entry.type = type.rawValue
        return entry
    }

    public static func mart(_ mart: MartDefinition) -> Mart? {
        guard var entry = marts[mart.name] else { return nil }
        entry.kind = mart.kind.rawValue
        return entry
    }

    static let marts: [String: Mart] = [
        "dim_patients": Mart(summary: "One row per patient: the current version of each patient record (no SSN, driver's licence or passport number).",
                             topics: ["emr.raw.patients"], fromMarts: []),
        "dim_organizations": Mart(summary: "One row per organization (facility): its current version.",
                                  topics: ["emr.raw.organizations"], fromMarts: []),
        "dim_providers": Mart(summary: "One row per provider (clinician): its current version.",
                              topics: ["emr.raw.providers"], fromMarts: []),
        "dim_conditions": Mart(summary: "The distinct conditions in use by current conditions of present patients; a value no current row uses disappears.",
                               topics: ["emr.raw.conditions", "emr.raw.patients"], fromMarts: []),
        "dim_medications": Mart(summary: "The distinct medications in use by current medications of present patients; same retraction rule.",
                                topics: ["emr.raw.medications", "emr.raw.patients"], fromMarts: []),
        "fact_patient_encounters": Mart(summary: "One row per current encounter whose patient is present, with ages, durations, age group and the days since the previous comparable encounter.",
                                        topics: ["emr.raw.encounters", "emr.raw.patients"], fromMarts: []),
        "fact_patient_encounter_readmissions": Mart(summary: "Encounters and readmissions per encounter class and start day; a row whose count drops to zero disappears.",
                                                    topics: [], fromMarts: ["fact_patient_encounters"]),
        "fact_patient_encounters_by_month": Mart(summary: "Encounters and their total claim cost per encounter class and month.",
                                                 topics: [], fromMarts: ["fact_patient_encounters"]),
        "fact_patient_conditions": Mart(summary: "One row per current condition whose encounter is in fact_patient_encounters, with ages, duration and the encounter's class.",
                                        topics: ["emr.raw.conditions", "emr.raw.patients"], fromMarts: ["fact_patient_encounters"]),
        "fact_patient_medications": Mart(summary: "One row per current medication whose patient is present, with costs, ages and duration.",
                                         topics: ["emr.raw.medications", "emr.raw.patients"], fromMarts: []),
        "fact_top_medications_by_patient_age_group": Mart(summary: "Dispenses per medication, patient age group and start day.",
                                                          topics: [], fromMarts: ["fact_patient_medications"]),
    ]

    private static let age = "age_years(birth, at): whole calendar months between them / 12, the day ignored (spec 6)"
    private static let group = "the group whose min < age at start <= max; 9 (invalid) otherwise (spec 6)"
    private static let ingested = "the newest version's ce_time header, else its Kafka timestamp; latest wins (spec 3, 5)"

    /// Columns with one meaning wherever they appear.
    static let shared: [String: Column] = [
        "patient_id": Column("The patient (Synthea's patient Id).", "patients.Id / *.PATIENT"),
        "organization_id": Column("The organization (facility).", "organizations.Id / *.ORGANIZATION"),
        "provider_id": Column("The provider (clinician).", "providers.Id / encounters.PROVIDER"),
        "payer_id": Column("The payer (insurer).", "encounters.PAYER / medications.PAYER"),
        "encounter_id": Column("The encounter.", "encounters.Id / *.ENCOUNTER"),
        "ingested_at": Column("When the current version of the record was ingested, UTC.", "header ce_time", ingested),
        "name": Column("Name.", "NAME"),
        "address": Column("Street address.", "ADDRESS"),
        "city": Column("City.", "CITY"),
        "state": Column("State.", "STATE"),
        "zip_code": Column("ZIP code, as text (leading zeros kept).", "ZIP"),
        "lat": Column("Latitude, degrees in [-90, 90].", "LAT"),
        "lon": Column("Longitude, degrees in [-180, 180].", "LON"),
        "gender": Column("Gender (M or F).", "GENDER"),
        "encounter_class": Column("Encounter class (Ambulatory, Emergency, Inpatient, Urgentcare, ...).", "encounters.ENCOUNTERCLASS",
                                  "first letter upper-case, the rest lower-case (spec 6)"),
        "age_group_id": Column("Age group 1 to 9 of the patient's age at the start.", "derived", group),
        "age_group_name": Column("Age group name (infant, toddler, ..., senior, invalid).", "derived", group),
        "age_group_description": Column("Age group label, e.g. 65+ (Senior).", "derived", group),
        "condition_code": Column("SNOMED-CT code of the condition.", "conditions.CODE"),
        "condition_description": Column("The condition's description without its parenthesised parts.", "conditions.DESCRIPTION",
                                        "every parenthesised part and the spaces before it removed, trimmed, when DESCRIPTION ends with ')' (spec 6)"),
        "condition_description_type": Column("The semantic tag of the description, e.g. disorder, finding; empty when there is none.",
                                             "conditions.DESCRIPTION", "the text inside the first parentheses when DESCRIPTION ends with ')' (spec 6)"),
        "medication_code": Column("RxNorm code of the medication.", "medications.CODE"),
        "medication_description": Column("The medication's description.", "medications.DESCRIPTION"),
        "reason_code": Column("SNOMED-CT code of the reason.", "REASONCODE"),
        "reason_description": Column("Description of the reason.", "REASONDESCRIPTION"),
        "payer_coverage": Column("Amount the payer covered, exact.", "PAYER_COVERAGE"),
        "start_at": Column("Start, UTC.", "START"),
        "start_date": Column("Day of the start (UTC).", "START", "the date part of start_at"),
        "stop_at": Column("Stop, UTC; null while ongoing.", "STOP"),
        "stop_date": Column("Day of the stop (UTC); null while ongoing.", "STOP", "the date part of stop_at"),
        "encounter_count": Column("Encounters in the row's group.", "derived", "count of fact_patient_encounters rows"),
    ]

    /// Columns whose meaning depends on the mart.
    static let perMart: [String: [String: Column]] = [
        "dim_patients": [
            "birth_date": Column("Date of birth.", "patients.BIRTHDATE"),
            "death_date": Column("Date of death; null while alive.", "patients.DEATHDATE"),
            "prefix": Column("Name prefix (Mr., Mrs., Dr., ...).", "patients.PREFIX"),
            "first_name": Column("First name.", "patients.FIRST"),
            "middle_name": Column("Middle name.", "patients.MIDDLE"),
            "last_name": Column("Last name.", "patients.LAST"),
            "suffix": Column("Name suffix.", "patients.SUFFIX"),
            "maiden_name": Column("Maiden name.", "patients.MAIDEN"),
            "marital_status": Column("Marital status (M, S, D, W).", "patients.MARITAL"),
            "race": Column("Race.", "patients.RACE"),
            "ethnicity": Column("Ethnicity.", "patients.ETHNICITY"),
            "birthplace": Column("Place of birth.", "patients.BIRTHPLACE"),
            "county": Column("County.", "patients.COUNTY"),
            "fips": Column("County FIPS code, as text.", "patients.FIPS"),
            "healthcare_expenses": Column("Lifetime healthcare expenses, exact.", "patients.HEALTHCARE_EXPENSES"),
            "healthcare_coverage": Column("Lifetime healthcare coverage, exact.", "patients.HEALTHCARE_COVERAGE"),
            "income": Column("Annual income, exact.", "patients.INCOME"),
        ],
        "dim_organizations": [
            "name": Column("Name of the organization.", "organizations.NAME"),
            "phone": Column("Phone number.", "organizations.PHONE"),
            "revenue": Column("Revenue, exact.", "organizations.REVENUE"),
            "utilization": Column("Number of encounters at the organization, as Synthea counts it.", "organizations.UTILIZATION"),
        ],
        "dim_providers": [
            "name": Column("Name of the provider.", "providers.NAME"),
            "speciality": Column("Speciality (GENERAL PRACTICE, ...).", "providers.SPECIALITY"),
        ],
        "fact_patient_encounters": [
            "encounter_code": Column("SNOMED-CT code of the encounter type.", "encounters.CODE"),
            "encounter_description": Column("Description of the encounter type.", "encounters.DESCRIPTION"),
            "base_encounter_cost": Column("Base cost of the encounter, exact.", "encounters.BASE_ENCOUNTER_COST"),
            "total_claim_cost": Column("Total claim cost, exact.", "encounters.TOTAL_CLAIM_COST"),
            "patient_age_at_encounter_start_years": Column("Patient's age at the start, years.", "derived", age),
            "patient_age_at_encounter_stop_years": Column("Patient's age at the stop, years.", "derived", age),
            "encounter_duration_hours": Column("Length of the encounter in hours.", "derived", "(stop_at - start_at) in seconds / 3600 (spec 6)"),
            "encounter_duration_days": Column("Length of the encounter in days.", "derived", "encounter_duration_hours / 24 (spec 6)"),
            "days_between_encounters": Column("Days since the patient's previous encounter at the same organization in the same class; null for the first.",
                                              "derived", "(start_at - start_at of the most recent earlier such encounter) in seconds / 86400 (spec 7)"),
        ],
        "fact_patient_encounter_readmissions": [
            "start_date": Column("Day the encounters started.", "derived", "fact_patient_encounters.start_date"),
            "readmission_encounter_count": Column("Encounters that are readmissions.", "derived",
                                                  "count of encounters with days_between_encounters <= the readmission window (7 days by default) (spec 7)"),
        ],
        "fact_patient_encounters_by_month": [
            "encounter_month": Column("First day of the month of the start.", "derived", "start_date truncated to the month"),
            "encounter_year_number": Column("Year of encounter_month.", "derived"),
            "encounter_month_number": Column("Month number 1 to 12.", "derived"),
            "encounter_month_short_name": Column("Month name, short (Jan).", "derived"),
            "encounter_month_full_name": Column("Month name (January).", "derived"),
            "total_claim_cost": Column("Sum of the encounters' total claim cost, exact.", "derived", "sum of fact_patient_encounters.total_claim_cost"),
        ],
        "fact_patient_conditions": [
            "start_date": Column("Day the condition started.", "conditions.START"),
            "stop_date": Column("Day the condition stopped; null while ongoing.", "conditions.STOP"),
            "patient_age_at_condition_start_years": Column("Patient's age at the condition's start, years.", "derived", age),
            "patient_age_at_condition_stop_years": Column("Patient's age at the condition's stop, years.", "derived", age),
            "condition_duration_hours": Column("Length of the condition in hours (dates at midnight UTC).", "derived",
                                               "(stop_date - start_date) in seconds / 3600 (spec 6)"),
            "encounter_class": Column("Class of the condition's encounter.", "derived", "fact_patient_encounters.encounter_class"),
        ],
        "fact_patient_medications": [
            "patient_medication_id": Column("Deterministic id of the medication record.", "derived",
                                            "MD5 (hex) of the natural key ENCOUNTER|CODE|START|STOP|BASE_COST|DISPENSES"),
            "base_cost": Column("Cost of one dispense, exact.", "medications.BASE_COST"),
            "dispenses": Column("Number of dispenses.", "medications.DISPENSES"),
            "total_cost": Column("Total cost, exact.", "medications.TOTALCOST"),
            "patient_age_at_medication_start_years": Column("Patient's age at the medication's start, years.", "derived", age),
            "patient_age_at_medication_stop_years": Column("Patient's age at the medication's stop, years.", "derived", age),
            "medication_duration_hours": Column("Length of the prescription in hours; negative when STOP precedes START.", "derived",
                                                "(stop_at - start_at) in seconds / 3600 (spec 6)"),
        ],
        "fact_top_medications_by_patient_age_group": [
            "start_date": Column("Day the medications started.", "derived", "fact_patient_medications.start_date"),
            "total_dispenses": Column("Sum of dispenses.", "derived", "sum of fact_patient_medications.dispenses"),
        ],
    ]
}
