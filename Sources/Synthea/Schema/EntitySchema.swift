/// What the pipeline needs of each entity's CSV columns: the natural key (in key order), the
/// columns that must be present in the header, and the column naming the patient a record is
/// about. Columns are read by header name; other columns, known or not, are carried untouched.
public struct EntitySchema: Sendable {
    public let entity: Entity
    /// Natural key columns in the order the message key joins them (spec sections 1 and 3).
    public let keyColumns: [String]
    /// Columns the header must have: the key plus the spec's required fields.
    public let requiredColumns: [String]
    /// The column naming the patient (patients: `Id`); nil for organizations and providers.
    public let patientColumn: String?
    /// Key columns that may be empty (medications `STOP` of an active medication).
    public let optionalKeyColumns: Set<String>

    /// The schema of an entity (built once; called per record on hot paths).
    public static func of(_ entity: Entity) -> EntitySchema {
        schemas[entity]!
    }

    private static let schemas: [Entity: EntitySchema] = Dictionary(uniqueKeysWithValues: Entity.allCases.map { ($0, make($0)) })

    private static func make(_ entity: Entity) -> EntitySchema {
        switch entity {
        case .patients:
            EntitySchema(entity: entity, keyColumns: ["Id"], requiredColumns: ["Id", "BIRTHDATE"], patientColumn: "Id", optionalKeyColumns: [])
        case .encounters:
            EntitySchema(entity: entity, keyColumns: ["Id"],
                         requiredColumns: ["Id", "START", "PATIENT", "ORGANIZATION", "ENCOUNTERCLASS"],
                         patientColumn: "PATIENT", optionalKeyColumns: [])
        case .conditions:
            EntitySchema(entity: entity, keyColumns: ["ENCOUNTER", "CODE"],
                         requiredColumns: ["ENCOUNTER", "CODE", "START", "PATIENT"], patientColumn: "PATIENT", optionalKeyColumns: [])
        case .medications:
            EntitySchema(entity: entity, keyColumns: ["ENCOUNTER", "CODE", "START", "STOP", "BASE_COST", "DISPENSES"],
                         requiredColumns: ["ENCOUNTER", "CODE", "START", "STOP", "BASE_COST", "DISPENSES", "PATIENT"],
                         patientColumn: "PATIENT", optionalKeyColumns: ["STOP"])
        case .organizations:
            EntitySchema(entity: entity, keyColumns: ["Id"], requiredColumns: ["Id"], patientColumn: nil, optionalKeyColumns: [])
        case .providers:
            EntitySchema(entity: entity, keyColumns: ["Id"], requiredColumns: ["Id", "ORGANIZATION"], patientColumn: nil, optionalKeyColumns: [])
        }
    }

    /// Refuses a header that lacks a required column, naming the file and the column.
    public func check(_ header: CSVHeader, file: String) throws(CSVError) {
        for column in requiredColumns where !header.contains(column) {
            throw CSVError(file: file, line: 1, message: "missing required column \(column) for \(entity.rawValue)")
        }
    }

    /// The message key: key column values joined with `|` (empty fields as empty strings).
    public func naturalKey(of row: CSVRow) -> String {
        keyColumns.map { row[$0] ?? "" }.joined(separator: "|")
    }

    /// The same key from a JSON-decoded value (consumer side).
    public func naturalKey(of value: [String: String]) -> String {
        if keyColumns.count == 1 { return value[keyColumns[0]] ?? "" }
        return keyColumns.map { value[$0] ?? "" }.joined(separator: "|")
    }
}
