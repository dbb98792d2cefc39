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

    /// The stored version, nil when the key is new.
    func stored(_ entity: Entity, key: String) throws -> Stored? {
        try database.prepare(Self.storedSQL[entity.ordinal]).bind(.text(key)).firstRow { row in
            Stored(position: SourcePosition(topic: row.value(0).text ?? "", partition: Int32(truncatingIfNeeded: row.integer(1)),
                                            offset: row.integer(2), ingestedMs: row.integer(3)),
                   keyID: row.integer(4))
        }
    }

    /// Inserts or replaces the current version (dimension reference flags are kept); an
    /// encounter with the number of its chain (``EncounterChains``), bound after its values.
    /// Returns the version's key id (0 for an entity without: ``hasKeyIDs``): `storedKeyID`
    /// when the key had a stored version, else the row id its insert gave.
    @discardableResult
    func write(_ version: CurrentVersion, storedKeyID: Int64?) throws -> Int64 {
        let upsert = try database.prepare(Self.upsertSQL[version.entity.ordinal])
        if version.entity == .encounters {
            let chain = try chains.number(of: version.chain, in: database)
            try upsert.bind(chain, at: version.packedRow.count + 1)
        }
        let before = database.lastInsertedRowID
        try upsert.run(binding: version.packedRow)
        guard Self.hasKeyIDs(version.entity) else { return 0 }
        if let storedKeyID { return storedKeyID }
        // A new key: the insert's row id. (Unchanged would mean the upsert updated a row after
        // all, or the new id equals the last one by chance: then the key is looked up.)
        let inserted = database.lastInsertedRowID
        if inserted != before { return inserted }
        return try stored(version.entity, key: version.naturalKey)?.keyID ?? 0
    }

    /// By ``Entity/ordinal``.
    private static let storedSQL: [SQLText] = Entity.allCases.map { entity in
        SQLText("""
            SELECT source_topic, source_partition, source_offset, ingested_ms, \(hasKeyIDs(entity) ? "key_id" : "0")
            FROM \(MartSchema.currentTable(entity)) WHERE natural_key = ?1
            """)
    }

    /// By ``Entity/ordinal``.
    private static let upsertSQL: [SQLText] = Entity.allCases.map { entity in
        var columns = MartSchema.currentColumns(entity)
        var placeholders = (1...columns.count).map { "?\($0)" }
        if entity == .encounters {
            columns.append("chain_id")
            placeholders.append("?\(columns.count)")
        }
        let updates = columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return SQLText("""
            INSERT INTO \(MartSchema.currentTable(entity)) (\(columns.joined(separator: ", "))) VALUES (\(placeholders.joined(separator: ", ")))
            ON CONFLICT (natural_key) DO UPDATE SET \(updates)
            """)
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
