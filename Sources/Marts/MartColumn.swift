/// One column of a mart: its name, the kind of value it holds and whether it may be NULL.
public struct MartColumn: Sendable, Hashable {
    /// What a column holds. Dates, timestamps and exact decimals are text in SQLite and in every
    /// export (ISO 8601; decimals as written, never rounded through a binary double).
    public enum ValueType: String, Sendable, Hashable, CaseIterable {
        case text, date, timestamp, decimal, integer, double

        /// The column's declared type in SQLite.
        public var sqlType: String {
            switch self {
            case .integer: "INTEGER"
            case .double: "REAL"
            case .text, .date, .timestamp, .decimal: "TEXT"
            }
        }
    }

    public var name: String
    public var type: ValueType
    /// NOT NULL in the table (grain columns always are).
    public var notNull: Bool

    public init(_ name: String, _ type: ValueType, notNull: Bool = false) {
        self.name = name
        self.type = type
        self.notNull = notNull
    }

    static func text(_ name: String) -> MartColumn { MartColumn(name, .text) }
    static func date(_ name: String) -> MartColumn { MartColumn(name, .date) }
    static func timestamp(_ name: String) -> MartColumn { MartColumn(name, .timestamp) }
    static func decimal(_ name: String) -> MartColumn { MartColumn(name, .decimal) }
    static func integer(_ name: String) -> MartColumn { MartColumn(name, .integer) }
    static func double(_ name: String) -> MartColumn { MartColumn(name, .double) }

    /// The same column, NOT NULL.
    var required: MartColumn { MartColumn(name, type, notNull: true) }
}
