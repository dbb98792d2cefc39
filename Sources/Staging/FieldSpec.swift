import Synthea

/// How one CSV column is staged: its snake_case name, type, and whether it is required.
public struct FieldSpec: Sendable, Hashable {
    public let column: String
    public let name: String
    public let type: FieldType
    public let required: Bool

    public init(_ column: String, _ name: String, _ type: FieldType = .text, required: Bool = false) {
        self.column = column
        self.name = name
        self.type = type
        self.required = required
    }
}

/// The staging contract of every entity (spec section 4): names, types, required fields.
/// Columns not listed are carried as text under their lower-cased name.
public enum StagingSchema {
    /// The fields of an entity, in staging order (built once; called per record).
    public static func fields(of entity: Entity) -> [FieldSpec] {
        plan(entity).fields
    }

    /// What staging needs per entity, computed once.
    final class Plan: Sendable {
        let fields: [FieldSpec]
        /// Per field: required by the spec or a non-optional key column.
        let required: [Bool]
        /// Position of each field in ``fields`` by its CSV column.
        let position: [String: Int]
        /// Each field's CSV column as UTF-8 bytes (a decoder compares them with a message's names).
        let columnBytes: [[UInt8]]
        /// Position of each field in ``fields`` by staged name.
        let index: [String: Int]
        /// Positions of the natural key's columns (``EntitySchema/keyColumns``), all declared.
        let keyIndices: [Int]
        let schema: EntitySchema

        init(_ entity: Entity) {
            schema = EntitySchema.of(entity)
            fields = StagingSchema.declaredFields(of: entity)
            required = fields.map { [schema] spec in
                spec.required || (schema.keyColumns.contains(spec.column) && !schema.optionalKeyColumns.contains(spec.column))
            }
            position = Dictionary(uniqueKeysWithValues: fields.enumerated().map { ($1.column, $0) })
            columnBytes = fields.map { Array($0.column.utf8) }
            index = Dictionary(uniqueKeysWithValues: fields.enumerated().map { ($1.name, $0) })
            keyIndices = schema.keyColumns.map { [position] column in
                guard let index = position[column] else { preconditionFailure("key column \(column) of \(entity) is not declared") }
                return index
            }
        }
    }

    /// By ``Entity/ordinal``.
    private static let plans: [Plan] = Entity.allCases.map(Plan.init)

    static func plan(_ entity: Entity) -> Plan { plans[entity.ordinal] }

    private static func declaredFields(of entity: Entity) -> [FieldSpec] {
        switch entity {
        case .patients:
            [FieldSpec("Id", "patient_id", required: true), FieldSpec("BIRTHDATE", StagedField.birthDate, .date, required: true),
             FieldSpec("DEATHDATE", "death_date", .date), FieldSpec("SSN", "ssn"), FieldSpec("DRIVERS", "drivers"),
             FieldSpec("PASSPORT", "passport"), FieldSpec("PREFIX", "prefix"), FieldSpec("FIRST", "first_name"),
             FieldSpec("MIDDLE", "middle_name"), FieldSpec("LAST", "last_name"), FieldSpec("SUFFIX", "suffix"),
             FieldSpec("MAIDEN", "maiden_name"), FieldSpec("MARITAL", "marital_status"), FieldSpec("RACE", "race"),
             FieldSpec("ETHNICITY", "ethnicity"), FieldSpec("GENDER", "gender"), FieldSpec("BIRTHPLACE", "birthplace"),
             FieldSpec("ADDRESS", "address"), FieldSpec("CITY", "city"), FieldSpec("STATE", "state"), FieldSpec("COUNTY", "county"),
             FieldSpec("FIPS", "fips"), FieldSpec("ZIP", "zip_code"), FieldSpec("LAT", "lat", .latitude), FieldSpec("LON", "lon", .longitude),
             FieldSpec("HEALTHCARE_EXPENSES", "healthcare_expenses", .decimal),
             FieldSpec("HEALTHCARE_COVERAGE", "healthcare_coverage", .decimal), FieldSpec("INCOME", "income", .decimal)]
        case .encounters:
            [FieldSpec("Id", "encounter_id", required: true), FieldSpec("START", StagedField.startAt, .timestamp, required: true),
             FieldSpec("STOP", StagedField.stopAt, .timestamp), FieldSpec("PATIENT", StagedField.patientID, required: true),
             FieldSpec("ORGANIZATION", StagedField.organizationID, required: true), FieldSpec("PROVIDER", "provider_id"),
             FieldSpec("PAYER", "payer_id"), FieldSpec("ENCOUNTERCLASS", StagedField.encounterClass, required: true),
             FieldSpec("CODE", "encounter_code"), FieldSpec("DESCRIPTION", "encounter_description"),
             FieldSpec("BASE_ENCOUNTER_COST", "base_encounter_cost", .decimal), FieldSpec("TOTAL_CLAIM_COST", "total_claim_cost", .decimal),
             FieldSpec("PAYER_COVERAGE", "payer_coverage", .decimal), FieldSpec("REASONCODE", "reason_code"),
             FieldSpec("REASONDESCRIPTION", "reason_description")]
        case .conditions:
            [FieldSpec("START", "start_date", .date, required: true), FieldSpec("STOP", "stop_date", .date),
             FieldSpec("PATIENT", "patient_id", required: true), FieldSpec("ENCOUNTER", "encounter_id", required: true),
             FieldSpec("SYSTEM", "system"), FieldSpec("CODE", "condition_code", required: true), FieldSpec("DESCRIPTION", StagedField.description)]
        case .medications:
            [FieldSpec("START", StagedField.startAt, .timestamp, required: true), FieldSpec("STOP", StagedField.stopAt, .timestamp),
             FieldSpec("PATIENT", "patient_id", required: true), FieldSpec("PAYER", "payer_id"),
             FieldSpec("ENCOUNTER", "encounter_id", required: true), FieldSpec("CODE", "medication_code", required: true),
             FieldSpec("DESCRIPTION", "medication_description"), FieldSpec("BASE_COST", "base_cost", .decimal, required: true),
             FieldSpec("PAYER_COVERAGE", "payer_coverage", .decimal), FieldSpec("DISPENSES", "dispenses", .integer, required: true),
             FieldSpec("TOTALCOST", "total_cost", .decimal), FieldSpec("REASONCODE", "reason_code"),
             FieldSpec("REASONDESCRIPTION", "reason_description")]
        case .organizations:
            [FieldSpec("Id", "organization_id", required: true), FieldSpec("NAME", "name"), FieldSpec("ADDRESS", "address"),
             FieldSpec("CITY", "city"), FieldSpec("STATE", "state"), FieldSpec("ZIP", "zip_code"), FieldSpec("LAT", "lat", .latitude),
             FieldSpec("LON", "lon", .longitude), FieldSpec("PHONE", "phone"), FieldSpec("REVENUE", "revenue", .decimal),
             FieldSpec("UTILIZATION", "utilization", .integer)]
        case .providers:
            [FieldSpec("Id", "provider_id", required: true), FieldSpec("ORGANIZATION", "organization_id", required: true),
             FieldSpec("NAME", "name"), FieldSpec("GENDER", "gender"), FieldSpec("SPECIALITY", "speciality"),
             FieldSpec("ADDRESS", "address"), FieldSpec("CITY", "city"), FieldSpec("STATE", "state"), FieldSpec("ZIP", "zip_code"),
             FieldSpec("LAT", "lat", .latitude), FieldSpec("LON", "lon", .longitude), FieldSpec("UTILIZATION", "utilization", .integer),
             FieldSpec("ENCOUNTERS", "encounters", .integer), FieldSpec("PROCEDURES", "procedures", .integer)]
        }
    }
}
