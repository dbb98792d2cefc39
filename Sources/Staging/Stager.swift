import Synthea

/// A record that passed staging: typed fields under snake_case names (null fields absent).
public struct StagedRecord: Sendable, Hashable {
    public var entity: Entity
    public var naturalKey: String
    public var fields: [String: StagedValue]
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
    public static func stage(_ entity: Entity, value: [String: String], key: String?) -> StagingResult {
        var reasons: [String] = []
        var fields: [String: StagedValue] = [:]
        let plan = StagingSchema.plans[entity]!
        fields.reserveCapacity(plan.fields.count)
        var declaredPresent = 0
        for (spec, required) in zip(plan.fields, plan.required) {
            let found = value[spec.column]
            if found != nil { declaredPresent += 1 }
            let raw = found ?? ""
            if raw.isEmpty {
                if required { reasons.append("\(spec.column): required field is \(value[spec.column] == nil ? "missing" : "empty")") }
                continue
            }
            guard let typed = FieldParser.parse(raw, as: spec.type) else {
                reasons.append("\(spec.column): '\(raw.prefix(64))' is not a valid \(describe(spec.type))")
                continue
            }
            fields[spec.name] = typed
        }
        // Columns outside the declared ones, if the row has any (most rows have none).
        if value.count > declaredPresent {
            for (column, raw) in value where !plan.columns.contains(column) && !raw.isEmpty {
                fields[column.lowercased()] = .text(raw)
            }
        }
        // An encounter cannot end before it starts (a negative duration in every mart).
        // Medications can: real Synthea exports contain them, and they pass as they are.
        if entity == .encounters, case .timestamp(let start)? = fields[StagedField.startAt], case .timestamp(let stop)? = fields[StagedField.stopAt], stop < start {
            reasons.append("STOP: '\(value["STOP"] ?? "")' is before START '\(value["START"] ?? "")' (an encounter cannot end before it starts)")
        }
        let naturalKey = plan.schema.naturalKey(of: value)
        if let key, key != naturalKey {
            reasons.append("key: '\(key.prefix(128))' does not match the natural key '\(naturalKey.prefix(128))' of the value")
        }
        if !reasons.isEmpty { return .rejected(reasons) }
        return .accepted(StagedRecord(entity: entity, naturalKey: naturalKey, fields: fields))
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
