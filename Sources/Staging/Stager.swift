import Synthea

/// A record that passed staging: typed fields under snake_case names (null fields absent).
public struct StagedRecord: Sendable, Hashable {
    public var entity: Entity
    public var naturalKey: String
    /// The declared fields' values in the order of ``StagingSchema/fields(of:)`` (nil: null).
    public var declared: [StagedValue?]
    /// Columns outside the declared ones, as text under their lower-cased names (most records
    /// have none).
    public var extra: [String: StagedValue]

    /// Every non-null field by its staged name.
    public var fields: [String: StagedValue] {
        var fields = extra
        for (spec, value) in zip(StagingSchema.fields(of: entity), declared) where value != nil { fields[spec.name] = value }
        return fields
    }

    /// The value of the declared field named `name` (``StagedField``); nil when null.
    public func value(of name: String) -> StagedValue? {
        StagingSchema.plan(entity).index[name].flatMap { declared[$0] }
    }
}

/// The outcome of staging one raw record.
public enum StagingResult: Sendable, Hashable {
    case accepted(StagedRecord)
    /// Every reason the record was rejected, each naming the field.
    case rejected([String])
}

/// Validates and converts raw rows (spec section 4). Empty means null; a required field that
/// is missing or empty, a non-empty field that fails its type, a key that does not match
/// the value's natural key, or an encounter whose STOP is before its START rejects the
/// record, with every reason listed.
public enum Stager {
    /// Stages a row given as a dictionary (tests, the report benchmark).
    public static func stage(_ entity: Entity, value: [String: String], key: String?) -> StagingResult {
        stage(RawRow(entity, value), key: key)
    }

    /// Stages a row as the consumer's decoder read it; `key`, the message's key, must be the
    /// row's natural key.
    public static func stage(_ row: RawRow, key: String?) -> StagingResult {
        var reasons: [String] = []
        let entity = row.entity
        let plan = StagingSchema.plan(entity)
        var declared = [StagedValue?](repeating: nil, count: plan.fields.count)
        var extra: [String: StagedValue] = [:]
        for (index, (spec, required)) in zip(plan.fields, plan.required).enumerated() {
            let found = row.declared[index]
            guard let raw = found, !raw.isEmpty else {
                if required { reasons.append("\(spec.column): required field is \(found == nil ? "missing" : "empty")") }
                continue
            }
            if containsNUL(raw) {
                reasons.append(nulReason(spec.column))
                continue
            }
            guard let typed = FieldParser.parse(raw, as: spec.type) else {
                reasons.append("\(spec.column): '\(raw.prefix(64))' is not a valid \(describe(spec.type))")
                continue
            }
            declared[index] = typed
        }
        // Columns outside the declared ones, in the order they were read (most rows have none).
        for (column, raw) in row.extra where !raw.isEmpty {
            if containsNUL(raw) {
                reasons.append(nulReason(column))
                continue
            }
            // Under a declared field's name it replaces that field's value (as it always did).
            let name = column.lowercased()
            if let index = plan.index[name] { declared[index] = .text(raw) } else { extra[name] = .text(raw) }
        }
        // An encounter cannot end before it starts (a negative duration in every mart).
        // Medications can: real Synthea exports contain them, and they pass as they are.
        if entity == .encounters, case .timestamp(let start)? = declared[plan.index[StagedField.startAt]!],
           case .timestamp(let stop)? = declared[plan.index[StagedField.stopAt]!], stop < start {
            reasons.append("STOP: '\(row[column: "STOP"] ?? "")' is before START '\(row[column: "START"] ?? "")' (an encounter cannot end before it starts)")
        }
        let naturalKey = plan.keyIndices.count == 1
            ? row.declared[plan.keyIndices[0]] ?? ""
            : plan.keyIndices.map { row.declared[$0] ?? "" }.joined(separator: "|")
        if let key, key != naturalKey {
            reasons.append("key: '\(key.prefix(128))' does not match the natural key '\(naturalKey.prefix(128))' of the value")
        }
        if !reasons.isEmpty { return .rejected(reasons) }
        return .accepted(StagedRecord(entity: entity, naturalKey: naturalKey, declared: declared, extra: extra))
    }

    /// Whether the text holds U+0000. SQLite binds text up to it (``State``'s statements), so
    /// such a value would be stored cut short: two keys that differ after it would become one,
    /// and a key's stored hash would not be its stored text's. Refused instead, with the field.
    private static func containsNUL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { $0.contains(0) }
    }

    private static func nulReason(_ column: String) -> String {
        "\(column): contains the character U+0000 (NUL), which the state cannot store"
    }

    private static func describe(_ type: FieldType) -> String {
        switch type {
        case .text: "text"
        case .date: "date (YYYY-MM-DD)"
        case .timestamp: "timestamp (RFC 3339 with a zone)"
        case .decimal: "decimal"
        case .integer: "integer"
        case .latitude: "latitude in [-90, 90]"
        case .longitude: "longitude in [-180, 180]"
        }
    }
}
