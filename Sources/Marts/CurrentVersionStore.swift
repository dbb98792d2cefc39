import Chronology
import Foundation
import Staging
import State
import Synthea

/// The intermediate layer: the current version of every natural key, one table per entity,
/// with the fields derived once (encounter class, condition description, medication id).
struct CurrentVersionStore {
    let database: SQLiteDatabase
    private let chains: ChainNumberCache

    init(database: SQLiteDatabase) {
        self.database = database
        chains = ChainNumberCache(database: database)
    }

    /// The stored version of a key: where it came from, and its key id (``hasKeyIDs``; 0 for
    /// the other entities).
    struct Stored {
        let position: SourcePosition
        let keyID: Int64
    }

    /// Whether the entity's current versions are numbered by `key_id` (those with facts).
    static func hasKeyIDs(_ entity: Entity) -> Bool { MartSchema.factEntities.contains { $0.entity == entity } }

    /// The stored version of the version's key, nil when the key is new.
    func stored(_ version: CurrentVersion) throws -> Stored? {
        let statement = try database.prepare(Self.storedSQL[version.entity.ordinal])
        if Self.hasKeyIDs(version.entity) { try statement.bind(.integer(version.keyHash), at: 2) }
        return try statement.bind(.text(version.naturalKey)).firstRow { row in
            Stored(position: SourcePosition(topic: row.value(0).text ?? "", partition: Int32(truncatingIfNeeded: row.integer(1)),
                                            offset: row.integer(2), ingestedMs: row.integer(3)),
                   keyID: row.integer(4))
        }
    }

    /// Writes the current version (dimension reference flags are kept); an encounter with the
    /// number of its chain (``EncounterChains``), bound after its values. An entity with key ids
    /// (``hasKeyIDs``) is inserted when `storedKeyID` is nil (the caller found its key absent)
    /// and updated by key id otherwise; the others are upserted by natural key. Returns the
    /// version's key id: `storedKeyID`, or the row id its insert gave (0 without key ids).
    @discardableResult
    func write(_ version: CurrentVersion, storedKeyID: Int64?) throws -> Int64 {
        let entity = version.entity
        guard Self.hasKeyIDs(entity) else {
            try database.prepare(Self.upsertSQL[entity.ordinal]).run(binding: version.packedRow)
            return 0
        }
        let statement = try database.prepare(storedKeyID == nil ? Self.insertSQL[entity.ordinal] : Self.updateSQL[entity.ordinal])
        var next = version.packedRow.count + 1
        if entity == .encounters {
            try statement.bind(try chains.number(of: version.chain, in: database), at: next)
            next += 1
        }
        try statement.bind(.integer(storedKeyID ?? version.keyHash), at: next)
        try statement.run(binding: version.packedRow)
        return storedKeyID ?? database.lastInsertedRowID
    }

    /// By ``Entity/ordinal``: with key ids, found by `key_hash` (?2) and the key (?1).
    private static let storedSQL: [SQLText] = Entity.allCases.map { entity in
        SQLText("""
            SELECT source_topic, source_partition, source_offset, ingested_ms, \(hasKeyIDs(entity) ? "key_id" : "0")
            FROM \(MartSchema.currentTable(entity)) WHERE \(hasKeyIDs(entity) ? "key_hash = ?2 AND " : "")natural_key = ?1
            """)
    }

    /// The columns written, in the order bound: the row's, then an encounter's `chain_id`.
    private static func writtenColumns(_ entity: Entity) -> [String] {
        MartSchema.currentColumns(entity) + (entity == .encounters ? ["chain_id"] : [])
    }

    /// By ``Entity/ordinal``, for the entities without key ids.
    private static let upsertSQL: [SQLText] = Entity.allCases.map { entity in
        let columns = writtenColumns(entity)
        let updates = columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return SQLText("""
            INSERT INTO \(MartSchema.currentTable(entity)) (\(columns.joined(separator: ", "))) VALUES (\(placeholders(columns.count)))
            ON CONFLICT (natural_key) DO UPDATE SET \(updates)
            """)
    }

    /// By ``Entity/ordinal``, for the entities with key ids: a new key, its hash bound last.
    private static let insertSQL: [SQLText] = Entity.allCases.map { entity in
        let columns = writtenColumns(entity) + ["key_hash"]
        return SQLText("INSERT INTO \(MartSchema.currentTable(entity)) (\(columns.joined(separator: ", "))) VALUES (\(placeholders(columns.count)))")
    }

    /// By ``Entity/ordinal``, for the entities with key ids: a stored key, its key id bound last.
    private static let updateSQL: [SQLText] = Entity.allCases.map { entity in
        let columns = writtenColumns(entity)
        let updates = columns.enumerated().dropFirst().map { "\($0.element) = ?\($0.offset + 1)" }.joined(separator: ", ")
        return SQLText("UPDATE \(MartSchema.currentTable(entity)) SET \(updates) WHERE key_id = ?\(columns.count + 1)")
    }

    private static func placeholders(_ count: Int) -> String {
        (1...count).map { "?\($0)" }.joined(separator: ", ")
    }

    /// The row of a current version: its values in the order of ``MartSchema/currentColumns(_:)``,
    /// packed as they are made; an encounter's chain values (``EncounterChains/columns``: patient,
    /// organization, class) too, empty for the other entities.
    static func row(of record: StagedRecord, at position: SourcePosition) -> (packed: PackedValues, chain: [SQLiteValue]) {
        var row = PackedValues.Builder(capacity: record.declared.count + 10, textBytes: 64 + record.declared.count * 24)
        row.appendText(record.naturalKey)
        for value in record.declared { append(value, to: &row) }
        var chain: [SQLiteValue] = []
        switch record.entity {
        case .encounters:
            let encounterClass = record.value(of: StagedField.encounterClass).flatMap(text).map { DerivedFields.encounterClass($0) }
            row.append(encounterClass.map(SQLiteValue.text) ?? .null)
            chain = [record.value(of: StagedField.patientID).flatMap(text).map(SQLiteValue.text) ?? .null,
                     record.value(of: StagedField.organizationID).flatMap(text).map(SQLiteValue.text) ?? .null,
                     encounterClass.map(SQLiteValue.text) ?? .null]
        case .conditions:
            if let description = record.value(of: StagedField.description).flatMap(text) {
                let parsed = DerivedFields.conditionDescription(description)
                row.appendText(parsed.description)
                row.appendText(parsed.type)
            } else {
                row.append(.null)
                row.appendText("")
            }
        case .medications:
            row.appendText(DerivedFields.medicationID(naturalKey: record.naturalKey))
        default: break
        }
        // Fields outside the declared ones, if the record has any (most have none).
        row.append(record.extra.isEmpty ? .null : .text(Self.json(record.extra.compactMapValues(text))))
        row.append(.integer(position.ingestedMs))
        row.appendText { CivilTime.appendTimestamp(seconds: floorDiv(position.ingestedMs, 1000), to: &$0) }
        row.appendText(position.topic)
        row.append(.integer(Int64(position.partition)))
        row.append(.integer(position.offset))
        return (row.values, chain)
    }

    /// A staged value as its column stores it (dates and timestamps as ISO text).
    static func append(_ value: StagedValue?, to row: inout PackedValues.Builder) {
        switch value {
        case nil: row.append(.null)
        case .text(let v), .decimal(let v): row.appendText(v)
        case .date(let days): row.appendText { CivilTime.appendDate(days: days, to: &$0) }
        case .timestamp(let seconds): row.appendText { CivilTime.appendTimestamp(seconds: seconds, to: &$0) }
        case .integer(let v): row.append(.integer(v))
        }
    }

    private static func text(_ value: StagedValue) -> String? {
        if case .text(let v) = value { v } else { nil }
    }

    private static func json(_ fields: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}
