import Synthea

/// A raw row (column name to text, as a message's value carries it) laid out for staging: the
/// declared columns (``StagingSchema/fields(of:)``) by their position, the others in the order
/// they were read. The consumer's decoder fills it column by column without hashing a name:
/// a declared column is found by comparing its bytes, first at the place where producers write
/// it (``declaredIndex(of:hint:)``).
public struct RawRow: Sendable, Equatable {
    public let entity: Entity
    /// The text of declared column `i` (``StagingSchema/fields(of:)``), nil when absent.
    public private(set) var declared: [String?]
    /// The columns outside the declared ones, in the order they were read.
    public private(set) var extra: [(column: String, value: String)] = []

    /// An empty row.
    public init(_ entity: Entity) {
        self.entity = entity
        declared = [String?](repeating: nil, count: StagingSchema.plan(entity).fields.count)
    }

    /// The columns of a decoded JSON object or a test's row.
    public init(_ entity: Entity, _ columns: [String: String]) {
        self.init(entity)
        for (column, value) in columns { _ = set(column, value) }
    }

    /// Sets a column; false (the row unchanged) when it is already set.
    public mutating func set(_ column: String, _ value: String) -> Bool {
        if let index = StagingSchema.plan(entity).position[column] { return set(declaredAt: index, value) }
        if extra.contains(where: { $0.column == column }) { return false }
        extra.append((column, value))
        return true
    }

    /// Sets declared column `index`; false (the row unchanged) when it is already set.
    public mutating func set(declaredAt index: Int, _ value: String) -> Bool {
        guard declared[index] == nil else { return false }
        declared[index] = value
        return true
    }

    /// The declared column whose name is `name`'s bytes, looked at first at `hint` (a column's
    /// place in the object: producers write the declared columns in their order).
    public func declaredIndex(of name: UnsafeBufferPointer<UInt8>, hint: Int) -> Int? {
        let names = StagingSchema.plan(entity).columnBytes
        func matches(_ index: Int) -> Bool {
            names[index].withUnsafeBufferPointer { $0.count == name.count && $0.elementsEqual(name) }
        }
        if hint < names.count, matches(hint) { return hint }
        return names.indices.first(where: matches)
    }

    /// A column's text, nil when absent.
    public subscript(column column: String) -> String? {
        if let index = StagingSchema.plan(entity).position[column] { return declared[index] }
        return extra.first { $0.column == column }?.value
    }

    /// Every column by name.
    public var columns: [String: String] {
        var columns = Dictionary(uniqueKeysWithValues: extra.map { ($0.column, $0.value) })
        for (spec, value) in zip(StagingSchema.plan(entity).fields, declared) { columns[spec.column] = value }
        return columns
    }

    public static func == (a: RawRow, b: RawRow) -> Bool { a.entity == b.entity && a.columns == b.columns }
}
