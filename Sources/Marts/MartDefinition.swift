/// One mart of spec section 7, declared once: its table, its columns with their types in export
/// order (the grain first, then the spec's content columns), bookkeeping columns that are never
/// exported, how its rows are stored, how they derive from the current versions, and how
/// partial copies of it merge. The table's DDL, the batch SQL of `emr verify`, the per-key SQL
/// of incremental maintenance, the export's column order and types and the merge of task files
/// all derive from this declaration (``MartCatalog``).
public struct MartDefinition: Sendable, Hashable {
    /// What a mart's rows are.
    public enum Kind: String, Sendable {
        /// One row per current record of an entity, or per distinct value in use.
        case dimension
        /// One row per current record, with derived fields.
        case fact
        /// One row per group of facts, maintained with counted deltas.
        case aggregate
    }

    /// How the table keeps its rows.
    public enum Storage: Sendable {
        /// Clustered on the grain (narrow rows).
        case withoutRowid
        /// A row-id table whose row id (``MartDefinition/keyIDColumn``, never exported) is the
        /// number of the current version the row derives from (its table's `key_id`), with no
        /// index on the grain: wide rows of facts whose natural keys arrive in random order
        /// (``MartSchema``'s migrations 6 and 9).
        case byKeyID
    }

    /// The row id of a ``Storage/byKeyID`` table, the last column of its table.
    public static let keyIDColumn = "key_id"

    /// How a mart's rows derive from the current-version tables (spec sections 6 and 7).
    enum Derivation: Sendable {
        /// One row per current record. The SQL selects the rows of the records the filter names:
        /// incremental maintenance runs it for the records a batch changed, `emr verify` for all.
        case rows(@Sendable (_ filter: RowFilter, _ inputs: MartInputs) -> String)
        /// Groups of facts: a batch GROUP BY (incremental maintenance keeps counted deltas
        /// instead, so `emr verify` checks one against the other). Partial rows of the same
        /// group (from several task files) combine column by column with `combine`'s SQL
        /// aggregates; the grain is grouped by and unnamed columns take `max`.
        case groups(@Sendable (_ inputs: MartInputs) -> String, combine: [String: String])
    }

    public let name: String
    public let kind: Kind
    public let grain: [String]
    /// The exported columns, grain first, in table and export order.
    public let columns: [String]
    /// Reference counts kept to know when an aggregate row disappears; never exported.
    public let internalColumns: [String]
    /// Every column, exported then internal, declared.
    public let declaredColumns: [MartColumn]
    public let storage: Storage
    let derivation: Derivation

    init(_ name: String, _ kind: Kind, grain: [String], columns: [MartColumn], hidden: [MartColumn] = [],
         storage: Storage = .withoutRowid, derivation: Derivation) {
        let exported = columns.map(\.name)
        precondition(grain.allSatisfy(exported.contains) && exported.starts(with: grain), "\(name): the grain comes first")
        self.name = name
        self.kind = kind
        self.grain = grain
        self.columns = exported
        self.internalColumns = hidden.map(\.name)
        self.declaredColumns = (columns + hidden).map { grain.contains($0.name) ? $0.required : $0 }
        self.storage = storage
        self.derivation = derivation
    }

    /// Columns of the table that are neither exported nor internal: how its rows are stored.
    public var storageColumns: [String] { storage == .byKeyID ? [Self.keyIDColumn] : [] }

    /// Every column of the table, in table order: exported, internal, storage.
    public var tableColumns: [String] { columns + internalColumns + storageColumns }

    /// The declared type of one of its columns, nil for a name it does not have.
    public func type(of column: String) -> MartColumn.ValueType? {
        declaredColumns.first { $0.name == column }?.type
    }

    /// `CREATE TABLE` for the mart (or for a table of the same shape named `table`).
    public func createSQL(table: String? = nil) -> String {
        let columns = declaredColumns.map { "\($0.name) \($0.type.sqlType)\($0.notNull ? " NOT NULL" : "")" }
        return switch storage {
        case .withoutRowid:
            "CREATE TABLE \(table ?? name) (\(columns.joined(separator: ", ")), PRIMARY KEY (\(grain.joined(separator: ", ")))) WITHOUT ROWID"
        case .byKeyID:
            "CREATE TABLE \(table ?? name) (\(columns.joined(separator: ", ")), \(Self.keyIDColumn) INTEGER PRIMARY KEY)"
        }
    }

    /// The batch definition: every row of the mart (internal and storage columns too, in table order),
    /// computed from the current versions and the facts named in `inputs`.
    func batchSQL(_ inputs: MartInputs) -> String {
        switch derivation {
        case .rows(let select): select(.all, inputs)
        case .groups(let select, _): select(inputs)
        }
    }

    /// The rows of the records whose natural keys are listed in `table` (a one-column table
    /// of `natural_key`s), every column in table order; nil for an aggregate.
    func rowsSQL(keysIn table: String, _ inputs: MartInputs = .live) -> String? {
        if case .rows(let select) = derivation { return select(.keysIn(table), inputs) }
        return nil
    }

    /// The rows of a fact (``Storage/byKeyID``) whose key ids are listed in `table` (a
    /// one-column table of `key_id`s); nil for any other mart.
    func rowsSQL(keyIDsIn table: String, _ inputs: MartInputs = .live) -> String? {
        if storage == .byKeyID, case .rows(let select) = derivation { return select(.keyIDsIn(table), inputs) }
        return nil
    }

    /// How partial rows of one group combine: nil when a mart's rows are disjoint across
    /// partial copies (a union), else each non-grain column's SQL aggregate.
    var combination: [String: String]? {
        guard case .groups(_, let combine) = derivation else { return nil }
        return Dictionary(uniqueKeysWithValues: (columns + internalColumns).filter { !grain.contains($0) }.map { ($0, combine[$0] ?? "max(\($0))") })
    }

    public static func == (lhs: MartDefinition, rhs: MartDefinition) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// Which current records a row-level derivation selects.
enum RowFilter: Sendable {
    /// Every one (the batch definition).
    case all
    /// Those whose natural key is in the one-column table named (`natural_key`).
    case keysIn(String)
    /// Those whose key id is in the one-column table named (`key_id`): facts only.
    case keyIDsIn(String)

    var isAll: Bool {
        if case .all = self { true } else { false }
    }
}

/// What a batch definition reads besides the current versions: the facts the aggregates and
/// the condition facts are computed from, and the readmission window.
struct MartInputs: Sendable {
    var encounterFacts: String
    var medicationFacts: String
    var readmissionWindowDays: Int64

    /// The live marts of a state file, for the row SQL of incremental maintenance (which reads
    /// no window: aggregates are maintained by counted deltas).
    static let live = MartInputs(encounterFacts: "fact_patient_encounters", medicationFacts: "fact_patient_medications", readmissionWindowDays: 7)
}
